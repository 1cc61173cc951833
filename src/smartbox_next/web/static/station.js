/* SmartBox station page. Uses only the station API (docs/station.md); every label comes from GET /api/texts.
   No framework, no build step. Patient data is always set as text (never as HTML). */
"use strict";

const S = {
  lang: localStorage.getItem("smartbox.lang") || null, texts: {}, csrf: null, authRequired: false,
  screen: "worklist", status: null, exam: null, examId: null, worklist: null, range: "today", search: "",
  queue: null, settings: null, pre: null, offset: 0, events: null, timers: {}, echo: {},
  connected: false, previewStale: false, lastSourceState: undefined, issued: {}, applied: {},
};
const $ = (id) => document.getElementById(id);

/* ---------------------------------------------------------------- texts */

function t(key, params) {
  let s = S.texts[key];
  if (s === undefined) return key;
  for (const [k, v] of Object.entries(params || {})) s = s.split("{" + k + "}").join(String(v));
  return s;
}
function tn(key, n, params) { return t(key + (n === 1 ? "_one" : "_other"), Object.assign({ n: n }, params || {})); }
function locale() { return S.lang === "de" ? "de-DE" : "en-GB"; }
function num(x, digits) { return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits === undefined ? 1 : digits, minimumFractionDigits: digits || 0 }).format(x); }
function clockText(d) { return d.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit", second: "2-digit" }); }
function dateTime(epoch) {
  const d = new Date(epoch * 1000);
  return d.toLocaleDateString(locale(), { day: "2-digit", month: "2-digit", year: "numeric" }) + " " +
    d.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" });
}
function hhmm(epoch) { return new Date(epoch * 1000).toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" }); }
function da(v) { /* DICOM DA YYYYMMDD -> local date */
  if (!v || v.length !== 8) return v || "–";
  const d = new Date(+v.slice(0, 4), +v.slice(4, 6) - 1, +v.slice(6, 8));
  return d.toLocaleDateString(locale(), { day: "2-digit", month: "2-digit", year: "numeric" });
}
function tm(v) { return v && v.length >= 4 ? v.slice(0, 2) + ":" + v.slice(2, 4) : "–"; }
function pn(v) { /* DICOM PN Family^Given^Middle^Prefix^Suffix -> "Family, Given" */
  if (!v) return "–";
  const p = v.split("=")[0].split("^");
  return p[1] ? p[0] + ", " + [p[3], p[1], p[2]].filter(Boolean).join(" ") : p[0];
}
function sexSymbol(s) { return s === "M" ? "♂" : s === "F" ? "♀" : "–"; }
function mmss(seconds) { const s = Math.max(0, Math.round(seconds)); return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0"); }

const ICONS = { /* constant SVG markup only (never data) */
  camera: '<svg viewBox="0 0 24 24" width="40" height="40" fill="none" stroke="currentColor" stroke-width="2"><path d="M4 8h3l2-3h6l2 3h3v11H4z"/><circle cx="12" cy="13" r="4"/></svg>',
  record: '<svg viewBox="0 0 24 24" width="40" height="40"><circle cx="12" cy="12" r="8" fill="currentColor"/></svg>',
  stop: '<svg viewBox="0 0 24 24" width="40" height="40"><rect x="6" y="6" width="12" height="12" rx="2" fill="currentColor"/></svg>',
  trash: '<svg viewBox="0 0 24 24" width="28" height="28" fill="none" stroke="currentColor" stroke-width="2"><path d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6"/></svg>',
  video: '<svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" stroke-width="2"><rect x="3" y="6" width="13" height="12" rx="2"/><path d="M16 10l5-3v10l-5-3z"/></svg>',
  photo: '<svg viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" stroke-width="2"><path d="M4 8h3l2-3h6l2 3h3v11H4z"/><circle cx="12" cy="13" r="3.5"/></svg>',
};
function icon(name) { const s = document.createElement("span"); s.className = "icon"; s.setAttribute("aria-hidden", "true"); s.innerHTML = ICONS[name]; return s; }
function put(el, ...kids) { el.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined && k !== false)); return el; }

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined) el.append(kid.nodeType ? kid : document.createTextNode(String(kid)));
  return el;
}

/* ---------------------------------------------------------------- API */

async function api(method, path, body) {
  const headers = { "Accept-Language": S.lang || "de" };
  if (method !== "GET") { headers["X-CSRF-Token"] = S.csrf || ""; headers["Content-Type"] = "application/json"; }
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  } catch (e) { showOffline(true); throw e; }
  showOffline(false);
  const type = res.headers.get("content-type") || "";
  const data = type.includes("json") ? await res.json() : null;
  if (res.status === 401 && path !== "/api/login") { showLogin(); throw new ApiError(data || {}, res.status); }
  if (!res.ok) throw new ApiError(data || { message: res.statusText }, res.status);
  return data;
}
class ApiError extends Error {
  constructor(data, status) { super(data.message || String(status)); this.data = data; this.status = status; }
}
function fail(e) { if (e instanceof ApiError && e.status !== 401) toast(e.data.message, { hint: e.data.hint, bad: true }); else if (!(e instanceof ApiError)) console.error(e); }

function showOffline(on) { const el = $("offline"); el.textContent = t("connection_lost"); el.hidden = !on; }

/* ---------------------------------------------------------------- toasts and dialogs */

function toast(text, opts) {
  opts = opts || {};
  const el = h("div", { class: "toast" + (opts.bad ? " bad" : ""), role: "status" },
    h("div", {}, text, opts.hint ? h("span", { class: "hint", text: opts.hint }) : null));
  if (opts.action) el.append(h("button", { type: "button", class: "primary", id: opts.actionId, onclick: () => { el.remove(); opts.action(); } }, opts.actionLabel));
  $("toasts").append(el);
  setTimeout(() => el.remove(), (opts.seconds || (opts.bad ? 8 : 3)) * 1000);
  return el;
}
function openDialog(...content) {
  const d = $("dialog"); d.replaceChildren(...content); $("modal").hidden = false;
  const first = d.querySelector("button.primary"); if (first) first.focus();
}
function closeDialog() { $("modal").hidden = true; $("dialog").replaceChildren(); }

/* ---------------------------------------------------------------- frame: title, nav, footer, clock */

function applyTexts() {
  document.documentElement.lang = S.lang;
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("search").placeholder = t("search");
  $("lang-de").classList.toggle("on", S.lang === "de");
  $("lang-en").classList.toggle("on", S.lang === "en");
}

function renderTitle() {
  const title = $("title");
  if (S.screen === "worklist") {
    const wl = S.worklist;
    const when = wl && wl.fetched_at ? dateTime(wl.fetched_at) : dateTime(Date.now() / 1000 + S.offset);
    const online = wl && wl.configured && !wl.stale && !wl.error;
    title.replaceChildren(t("title_worklist", { when }) + " ",
      h("span", { class: online ? "state-online" : "state-offline", id: "online-state", text: "(" + t(online ? "online" : "offline") + ")" }));
  } else {
    title.textContent = t("title_" + S.screen);
  }
}

function renderNav() {
  for (const b of document.querySelectorAll("#nav .tab")) b.classList.toggle("active", b.dataset.screen === S.screen);
  $("nav-exam").hidden = !(S.status && S.status.open_exam) && S.screen !== "exam";
  const failed = S.status ? S.status.failed : 0;
  const q = $("nav-queue"); q.replaceChildren(t("nav_queue"));
  if (failed) q.append(h("span", { class: "count", text: String(failed) }));
}

function renderFooter() {
  const st = S.status; if (!st) return;
  const p = $("pending");
  p.textContent = st.pending ? tn("pending", st.pending, { size: st.pending_size }) : t("all_sent");
  p.className = "pending" + (st.failed ? " bad" : st.pending ? " busy" : "");
  put($("lamps"), ...st.lamps.map((l) => h("span", { class: "lamp " + (l.ok === true ? "ok" : l.ok === false ? "down" : ""), title: l.address || "" },
    h("i"), l.role === "worklist" ? "RIS" : l.role === "folder" ? t("role_folder") : "PACS")));
}

function tickClock() { $("clock").textContent = clockText(new Date(Date.now() + S.offset * 1000)); renderRecTimer(); }

/* The station answers requests in parallel, so an answer can overtake an earlier one: an exam read before the
   last photo was written arriving after the one read since. Each kind keeps only answers newer than the last
   applied (by when the request was made), so a late old answer never takes back a capture. */
async function latest(kind, request) {
  const ticket = (S.issued[kind] = (S.issued[kind] || 0) + 1);
  const data = await request();
  if (ticket < (S.applied[kind] || 0)) return null;
  S.applied[kind] = ticket;
  return data;
}

async function loadStatus() {
  const st = await latest("status", () => api("GET", "/api/status"));
  if (st === null) return S.status;
  S.offset = st.server_time - Date.now() / 1000;
  S.status = st;
  if (S.pre === null) S.pre = st.pre_record_default;
  renderFooter(); renderNav();
  if (S.screen === "exam") renderSource();
  return st;
}

/* ---------------------------------------------------------------- navigation */

function show(screen) {
  S.screen = screen;
  for (const s of document.querySelectorAll(".screen")) s.hidden = s.id !== "screen-" + screen;
  const img = $("preview");
  if (screen === "exam") { if (!img.getAttribute("src")) openPreview(); }
  else if (img.getAttribute("src")) { img.removeAttribute("src"); }
  renderNav(); renderTitle();
  if (screen === "worklist") loadWorklist(false).catch(fail);
  if (screen === "exam") loadExam().catch(fail);
  if (screen === "queue") loadQueue().catch(fail);
  if (screen === "settings") loadSettings().catch(fail);
}

function showLogin() {
  for (const s of document.querySelectorAll(".screen")) s.hidden = s.id !== "screen-login";
  S.screen = "login"; $("nav").hidden = true; renderTitle(); $("password").focus();
}

/* ---------------------------------------------------------------- worklist */

async function loadWorklist(refresh) {
  if (refresh) { $("refresh").disabled = true; $("worklist-banner").hidden = false; $("worklist-banner").className = "banner"; $("worklist-banner").textContent = t("refreshing"); }
  let list;
  try { list = await latest("worklist", () => api("GET", "/api/worklist?range=" + S.range + (refresh ? "&refresh=1" : ""))); }
  finally { $("refresh").disabled = false; }
  if (list === null) return;
  S.worklist = list;
  renderWorklist(); renderTitle();
}

function matches(item, q) {
  if (!q) return true;
  q = q.toLowerCase();
  return [pn(item.patient_name), item.patient_name, item.patient_id, item.accession, item.procedure].some((v) => (v || "").toLowerCase().includes(q));
}

function renderWorklist() {
  const wl = S.worklist; if (!wl) return;
  $("range-today").classList.toggle("on", S.range === "today");
  $("range-week").classList.toggle("on", S.range === "week");
  const banner = $("worklist-banner");
  banner.hidden = true;
  if (!wl.configured) { banner.hidden = false; banner.className = "banner"; banner.textContent = t("no_worklist"); }
  else if (wl.error) { banner.hidden = false; banner.className = "banner bad"; banner.textContent = t("worklist_failed", { message: wl.error.message }) + " " + wl.error.hint; }
  else if (wl.stale) { banner.hidden = false; banner.className = "banner"; banner.textContent = t("stale", { when: dateTime(wl.fetched_at), age: wl.stale_age }); }
  const items = wl.items.filter((i) => matches(i, S.search));
  const list = $("worklist");
  list.replaceChildren(...items.map((i) => h("button", { type: "button", class: "row", role: "listitem", dataset: { item: i.item_id }, onclick: () => confirmStart(i) },
    h("span", { class: "who" }, h("span", { class: "sex " + (i.sex || ""), text: sexSymbol(i.sex), title: t("sex_" + (i.sex || "").toLowerCase()) }),
      h("span", {}, h("strong", { text: pn(i.patient_name) }), h("span", { class: "sub", text: t("born", { date: da(i.birth_date) }) + " · " + (i.patient_id || "") }))),
    h("span", { text: i.procedure || "–" }),
    h("span", { class: "time", text: S.range === "week" ? da(i.scheduled_date).slice(0, 6) + " " + tm(i.scheduled_time) : tm(i.scheduled_time) }),
    h("span", { class: "acc", text: i.accession || "–" }))));
  if (!items.length && wl.configured) list.append(h("p", { class: "muted big-note", text: wl.items.length ? t("no_match") : t("no_entries") }));
  $("worklist-head").hidden = !items.length;
  $("worklist-count").textContent = wl.items.length ? tn("entries", items.length) : "";
  const open = S.status && S.status.open_exam;
  $("resume-box").hidden = !open;
  if (open) $("resume").textContent = t("resume_exam", { exam: open });
  const last = S.status && S.status.last_exam;
  $("last-box").hidden = !!open || !last;
  if (last && !open) put($("last-exam"), h("strong", { text: t("last_exam") }), h("span", { class: "sub", text: pn(last.patient) }));
  for (const b of document.querySelectorAll(".emergency button")) b.disabled = !!open;
}

function confirmStart(item) {
  const open = S.status && S.status.open_exam;
  if (open) { toast(t("resume_exam", { exam: open }), { bad: true }); return; }
  openDialog(
    h("h2", { text: t("confirm_title") }),
    h("div", { class: "who" }, h("span", { class: "sex " + (item.sex || ""), text: sexSymbol(item.sex) + " " }), pn(item.patient_name)),
    h("div", { class: "facts" },
      h("span", { text: t("col_birth") }), h("b", { text: da(item.birth_date) + " (" + t("sex_" + (item.sex || "").toLowerCase()) + ")" }),
      h("span", { text: t("col_procedure") }), h("b", { text: item.procedure || "–" }),
      h("span", { text: t("col_time") }), h("b", { text: da(item.scheduled_date) + " " + tm(item.scheduled_time) }),
      h("span", { text: t("col_accession") }), h("b", { text: item.accession || "–" })),
    h("div", { class: "buttons" },
      h("button", { type: "button", class: "secondary", id: "confirm-cancel", onclick: closeDialog }, t("cancel")),
      h("button", { type: "button", class: "primary", id: "confirm-start", onclick: (ev) => startExam({ worklist_item: item.item_id }, ev.currentTarget) }, t("start_exam"))));
}

async function startExam(body, button) {
  if (button) button.disabled = true;
  try {
    const r = await api("POST", "/api/exams", body);
    closeDialog(); S.examId = r.id; S.exam = null;
    await loadStatus(); show("exam");
  } catch (e) { fail(e); if (button) button.disabled = false; }
}

/* ---------------------------------------------------------------- exam */

async function loadExam() {
  if (S.screen !== "exam") return; /* a reload scheduled on the exam screen that runs after the nurse went on */
  const id = (S.status && S.status.open_exam) || S.examId;
  if (!id) { show("worklist"); return; }
  S.examId = id;
  const ex = await latest("exam", () => api("GET", "/api/exams/" + encodeURIComponent(id)));
  if (ex === null || ex.id !== S.examId) return;
  S.exam = ex;
  renderExam();
}

function renderExam() {
  const ex = S.exam; if (!ex) return;
  const ended = ex.state !== "in_progress"; /* an ended exam is shown to follow its captures into the archive */
  $("screen-exam").classList.toggle("ended", ended);
  if (ended && $("preview").getAttribute("src")) $("preview").removeAttribute("src");
  const bar = $("patient-bar");
  bar.className = "patient-bar" + (ex.patient.emergency ? " emergency-exam" : "");
  const regionLabel = ex.region_key ? t("region_" + ex.region_key.replace(/-/g, "_")) : ex.region ? ex.region.split(":").slice(2).join(":") : null;
  put(bar,
    h("span", { class: "sex " + (ex.patient.sex || ""), text: sexSymbol(ex.patient.sex) }),
    h("span", { class: "name", id: "patient-name", text: pn(ex.patient.name) }),
    ex.patient.emergency ? h("span", { class: "badge", id: "emergency-badge", text: t("emergency_badge") }) : null,
    ended ? h("span", { class: "badge ended", id: "ended-badge", text: t("exam_ended_badge") }) : null,
    h("span", { class: "facts" },
      ex.patient.birth_date ? h("span", { text: t("born", { date: da(ex.patient.birth_date) }) }) : null,
      ex.procedure ? h("span", { text: ex.procedure }) : null,
      ex.accession ? h("span", { text: t("accession", { accession: ex.accession }) }) : null,
      h("span", { text: t("exam_number", { exam: ex.id }) })),
    ended ? null : h("button", { type: "button", class: "chip" + (ex.region ? "" : " missing"), id: "region-chip", onclick: () => chooseRegion() },
      ex.region ? t("region", { region: regionLabel }) : t("region_none")));
  const summary = $("exam-summary");
  summary.hidden = !ended;
  if (ended) {
    const count = (states) => ex.captures.filter((c) => states.includes(c.state)).length;
    const n = ex.captures.length, archived = count(["archived"]), unconfirmed = count(["unconfirmed"]);
    const open = n - count(["sent", "archived", "unconfirmed"]);
    const [kind, text] = open ? ["", tn("not_all_sent", open)] : unconfirmed ? ["", t("unconfirmed_summary")]
      : n && archived === n ? [" good", t("all_archived")] : ex.commitment.length ? [" info", t("awaiting_archive")]
      : [" good", t("all_sent_exam")];
    summary.className = "banner" + kind;
    summary.textContent = text;
  }
  renderCaptures(); renderControls(); renderSource();
}

function captureLabel(c) { return c.kind === "video" ? t("video_length", { time: mmss(c.duration_s || 0) }) : t("photo_label", { n: c.number }); }

function stateText(c) {
  if (c.state === "sending") return t("state_sending", { percent: c.percent });
  if (c.state === "retry") return t("state_waiting");
  return t("state_" + c.state);
}

function renderCaptures() {
  const ex = S.exam; const box = $("captures");
  const cards = ex.captures.map((c) => {
    const card = h("div", { class: "cap " + c.state, role: "listitem", dataset: { uid: c.sop_instance_uid, state: c.state, kind: c.kind } },
      h("img", { src: "/api/captures/" + encodeURIComponent(c.sop_instance_uid) + "/thumbnail.jpg", alt: captureLabel(c), loading: "lazy" }),
      c.kind === "video" ? h("span", { class: "dur", text: mmss(c.duration_s || 0) }) : null,
      h("div", { class: "meta" },
        h("strong", { text: captureLabel(c) }),
        h("span", { class: "st" }, h("i"), h("span", { class: "st-text", text: stateText(c) })),
        c.state === "sending" ? h("span", { class: "bar-p" }, h("b", { style: "width:" + c.percent + "%" })) : null,
        c.state === "sending" && c.rate_mb_s ? h("span", { class: "muted rate", text: t("state_rate", { rate: num(c.rate_mb_s, 1) }) }) : null,
        c.state === "retry" && c.next_attempt ? h("span", { class: "muted", text: t("state_retry", { time: hhmm(c.next_attempt) }) }) : null,
        c.reason ? h("span", { class: "why", text: c.reason }) : null));
    /* the technical message is for IT: the card's tooltip, the toast a tap shows, and the "Sending" screen */
    const details = c.error ? t("details") + ": " + c.error + (c.hint ? " " + t("what_to_do", { hint: c.hint }) : "") : null;
    if (details) card.title = details;
    if (c.state === "created") card.append(h("button", { type: "button", class: "del", title: t("delete"), "aria-label": t("delete"), onclick: () => deleteCapture(c) }, icon("trash")));
    if (c.reason) card.addEventListener("click", (ev) => { if (!ev.target.closest("button")) toast(c.reason, { hint: details, bad: c.state !== "retry", seconds: 12 }); });
    return card;
  });
  for (let i = 0; i < ex.saving; i++) cards.push(h("div", { class: "cap saving", text: "…" }));
  box.replaceChildren(...cards);
  if (!cards.length) box.append(h("p", { class: "empty", text: t("no_captures") }));
  else box.scrollLeft = box.scrollWidth;
}

function renderControls() {
  const ex = S.exam; if (!ex) return;
  const rec = ex.recording;
  const video = $("video");
  video.classList.toggle("recording", !!rec);
  put(video, icon(rec ? "stop" : "record"), h("span", { id: "video-label" }));
  $("video-label").textContent = rec ? t("video_stop") : t("video_start");
  const retry = ex.captures.filter((c) => c.state === "retry").length;
  const pending = ex.counts.held + ex.counts.failed + retry;
  const send = $("send-all");
  send.textContent = t("send_all", { n: pending });
  send.disabled = pending === 0;
  send.dataset.count = String(pending);
  send.hidden = ex.state !== "in_progress" && pending === 0; /* an ended exam: only to send again what failed */
  const choices = (S.status && S.status.pre_record_choices) || [0];
  $("pre-choices").replaceChildren(...choices.map((n) => h("button", { type: "button", class: n === S.pre ? "on" : "", id: "pre-" + n, disabled: !!rec,
    onclick: () => { S.pre = n; renderControls(); } }, n ? t("pre_seconds", { n }) : t("pre_off"))));
  $("pre-choices").parentElement.hidden = choices.length < 2;
  $("rec-badge").hidden = !rec;
  renderRecTimer();
}

function renderRecTimer() {
  const rec = S.exam && S.exam.recording;
  if (!rec) return;
  const elapsed = (Date.now() / 1000 + S.offset) - rec.started + rec.pre_record_s;
  $("rec-time").textContent = t("recording", { time: mmss(elapsed) });
  $("video-label").textContent = t("video_stop") + " " + mmss(elapsed);
}

function renderSource() {
  const src = S.status && S.status.source; if (!src) return;
  const ov = $("preview-overlay");
  ov.hidden = src.state === "live";
  ov.className = "overlay" + (src.state === "starting" ? " waiting" : "");
  ov.dataset.state = src.state;
  $("overlay-title").textContent = src.state === "starting" ? t("starting_signal") : t("no_signal");
  $("overlay-text").textContent = src.state === "starting" ? "" : t("no_signal_hint");
  const ended = !!(S.exam && S.exam.state !== "in_progress");
  $("photo").disabled = src.state !== "live" || ended;
  if (ended) { ov.hidden = true; return; }
  // (re)open the MJPEG stream only when there is none, once when the source comes back live, or once after the
  // event stream reconnected (the station restarted, the network was away): reopening it on every status update
  // until its first frame piled up streams, and at the browser's six connections per host every other request
  // (a photo, the queue) waited behind them
  const cameBack = S.lastSourceState !== undefined && S.lastSourceState !== "live" && src.state === "live";
  S.lastSourceState = src.state;
  if (src.state === "live" && S.screen === "exam" && (!$("preview").getAttribute("src") || cameBack || S.previewStale)) openPreview();
}

function openPreview() { S.previewStale = false; $("preview").src = "/api/preview.mjpeg?t=" + Date.now(); }

async function takePhoto() {
  const b = $("photo"); b.disabled = true;
  try { await api("POST", "/api/exams/" + S.examId + "/stills"); toast(t("photo_taken"), { seconds: 1.5 }); await loadExam(); }
  catch (e) { fail(e); } finally { b.disabled = !(S.status && S.status.source.state === "live"); }
}

async function toggleVideo() {
  const b = $("video"); b.disabled = true;
  try {
    if (S.exam && S.exam.recording) {
      const r = await api("POST", "/api/exams/" + S.examId + "/recording/stop");
      toast(t("video_saved", { time: mmss(r.duration_s) }), { seconds: 2 });
    } else {
      if (!S.exam.region) { await chooseRegion(true); if (!S.exam.region) return; }
      await api("POST", "/api/exams/" + S.examId + "/recording/start", { pre_record_s: S.pre || 0 });
    }
    await loadExam();
  } catch (e) { fail(e); } finally { b.disabled = false; }
}

function chooseRegion(forVideo) {
  return new Promise((resolve) => {
    const ex = S.exam;
    openDialog(h("h2", { text: t("region_title") }), forVideo ? h("p", { class: "warnline", text: t("region_needed") }) : null,
      h("div", { class: "regions" }, ex.region_choices.map((r) => h("button", { type: "button", class: r.key === ex.region_key ? "on" : "", id: "region-" + r.key,
        onclick: async () => { try { await api("POST", "/api/exams/" + ex.id + "/region", { region: r.key }); closeDialog(); await loadExam(); } catch (e) { fail(e); } resolve(); } }, t("region_" + r.key.replace(/-/g, "_"))))),
      h("div", { class: "buttons" }, h("button", { type: "button", class: "secondary", onclick: () => { closeDialog(); resolve(); } }, t("cancel"))));
  });
}

async function deleteCapture(c) {
  try {
    const r = await api("POST", "/api/exams/" + S.examId + "/captures/" + encodeURIComponent(c.sop_instance_uid) + "/delete");
    await loadExam();
    toast(t("deleted"), { action: async () => { try { await api("POST", "/api/undo/" + r.undo); await loadExam(); } catch (e) { fail(e); } },
      actionLabel: t("undo"), actionId: "undo", seconds: (S.status && S.status.undo_s) || 8 });
  } catch (e) { fail(e); }
}

async function sendAll() {
  try {
    if (S.exam.counts.held) await api("POST", "/api/exams/" + S.examId + "/send");
    const failed = S.exam.captures.filter((c) => c.state === "failed" || c.state === "retry").flatMap((c) => c.job_ids);
    if (failed.length) await api("POST", "/api/queue/retry", { jobs: failed });
    await loadExam();
  } catch (e) { fail(e); }
}

function endExam() {
  const ex = S.exam; const c = ex.counts;
  const lines = [];
  if (!c.total) lines.push(h("p", { text: t("end_empty") }));
  if (c.held) lines.push(h("p", { class: "warnline", id: "end-unsent", text: tn("end_unsent", c.held) }));
  if (c.in_transit) lines.push(h("p", { class: "warnline", text: tn("end_in_transit", c.in_transit) }));
  if (c.failed) lines.push(h("p", { class: "badline", text: tn("end_failed", c.failed) }));
  if (c.total && !c.held && !c.in_transit && !c.failed) lines.push(h("p", { text: t("end_all_sent") }));
  openDialog(h("h2", { text: t("end_title") }), h("div", { class: "who", text: pn(ex.patient.name) }), ...lines,
    h("div", { class: "buttons" },
      h("button", { type: "button", class: "secondary", id: "end-back", onclick: closeDialog }, t("back")),
      h("button", { type: "button", class: "primary", id: "end-confirm", onclick: async (ev) => {
        ev.currentTarget.disabled = true;
        try { await api("POST", "/api/exams/" + ex.id + "/complete"); closeDialog(); toast(t("exam_ended", { exam: ex.id })); S.exam = null; S.examId = null; await loadStatus(); show("worklist"); }
        catch (e) { fail(e); ev.currentTarget.disabled = false; } } }, c.held ? t("end_confirm") : t("end_confirm_plain"))));
}

/* ---------------------------------------------------------------- queue */

async function loadQueue() {
  const q = await latest("queue", () => api("GET", "/api/queue" + ($("show-all").checked ? "?all=1" : "")));
  if (q !== null) { S.queue = q; renderQueue(); }
}

function lampCard(l, withTest) {
  const state = l.ok === true ? "ok" : l.ok === false ? "down" : "";
  const role = l.role === "worklist" ? t("role_worklist") : l.role === "folder" ? t("role_folder") : t("role_storage");
  const res = S.echo[l.name];
  return h("div", { class: "card lamp-card " + state, dataset: { peer: l.name } }, h("span", { class: "big-lamp" }),
    h("span", { class: "txt" }, h("strong", { text: role + " · " + l.name }),
      h("span", { class: "muted", text: (l.ok === true ? t("lamp_ok") : l.ok === false ? t("lamp_down") : t("lamp_unknown")) + (l.checked ? " · " + hhmm(l.checked) : "") }),
      res ? h("span", { class: "result " + (res.ok ? "ok" : "bad"), text: res.ok ? t("echo_ok", { ms: num(res.ms, 0) }) : t("echo_failed", { reason: res.error ? res.error.message : "" }) }) : null),
    withTest ? h("button", { type: "button", class: "secondary test", id: "test-" + l.name, onclick: (ev) => testPeer(l.name, ev.currentTarget) }, t("test_connection")) : null);
}

function renderQueue() {
  const q = S.queue; if (!q) return;
  $("lamps-cards").replaceChildren(...q.lamps.map((l) => lampCard(l, true)));
  const body = $("queue-body");
  body.replaceChildren(...q.jobs.map((j) => h("tr", { dataset: { job: String(j.id), state: j.state } },
    h("td", {}, h("strong", { class: "job-who" }, icon(j.kind === "video" ? "video" : "photo"), pn(j.patient)), h("div", { class: "muted small", text: (j.exam || "") + " · #" + j.id })),
    h("td", { text: j.destination }),
    h("td", {}, h("span", { class: "state-pill " + j.state, text: t("state_" + ({ queued: "waiting", retry_wait: "waiting" }[j.state] || j.state)) }),
      j.error ? h("div", { class: "why", text: j.error + (j.hint ? " " + t("what_to_do", { hint: j.hint }) : "") }) : null),
    h("td", { text: j.size_text }), h("td", { text: String(j.attempts) }),
    h("td", { text: j.next_attempt ? hhmm(j.next_attempt) : j.state === "queued" ? t("now") : "–" }),
    h("td", { class: "actions" },
      ["failed", "retry_wait", "cancelled"].includes(j.state) ? h("button", { type: "button", class: "primary retry", onclick: () => jobAction("retry", j.id) }, t("retry")) : null,
      ["queued", "retry_wait", "failed"].includes(j.state) ? h("button", { type: "button", class: "secondary cancel", onclick: () => jobAction("cancel", j.id) }, t("cancel_job")) : null))));
  $("queue-empty").hidden = q.jobs.length > 0;
  $("queue-table").hidden = q.jobs.length === 0;
}

async function jobAction(action, id) { try { await api("POST", "/api/queue/" + action, { jobs: [id] }); await loadQueue(); await loadStatus(); } catch (e) { fail(e); } }

async function testPeer(name, button) {
  if (button) { button.disabled = true; button.textContent = t("testing"); }
  try { S.echo[name] = await api("POST", "/api/echo/" + encodeURIComponent(name)); } catch (e) { fail(e); }
  if (S.screen === "queue") await loadQueue().catch(fail);
  if (S.screen === "settings") renderSettings();
  await loadStatus().catch(fail);
}

/* ---------------------------------------------------------------- settings */

async function loadSettings() { S.settings = await api("GET", "/api/settings"); renderSettings(); }

function renderSettings() {
  const s = S.settings; if (!s) return;
  put($("peers"), ...s.peers.map((p) => {
    const res = S.echo[p.name];
    return h("div", { class: "peer", dataset: { peer: p.name } },
      h("span", { class: "txt" }, h("strong", { text: (p.role === "worklist" ? t("role_worklist") : t("role_storage")) + " · " + p.name }), h("span", { class: "muted small", text: p.address })),
      res ? h("span", { class: "result " + (res.ok ? "ok" : "bad"), text: res.ok ? t("echo_ok", { ms: num(res.ms, 0) }) : t("echo_failed", { reason: res.error ? res.error.message : "" }) }) : null,
      h("button", { type: "button", class: "secondary test", id: "settings-test-" + p.name, onclick: (ev) => testPeer(p.name, ev.currentTarget) }, t("test_connection")));
  }), h("div", { class: "peer" }, h("span", { class: "txt" }, h("strong", { text: t("video_source") }), h("span", { class: "muted small", text: s.source }))));
  const cfg = s.configuration;
  $("config").replaceChildren(...Object.keys(cfg).map((section) => h("details", {}, h("summary", { text: "[" + section + "]" }),
    h("table", {}, h("tbody", {}, Object.entries(cfg[section]).map(([k, v]) => h("tr", {}, h("td", { text: k }), h("td", { text: typeof v === "object" ? JSON.stringify(v) : String(v) }))))))));
  $("version").textContent = t("version", { version: s.version });
  $("logout").hidden = !S.authRequired;
}

async function setLang(lang) {
  S.lang = lang; localStorage.setItem("smartbox.lang", lang);
  const r = await api("GET", "/api/texts?lang=" + lang); S.texts = r.texts;
  applyTexts(); renderFooter(); renderNav(); renderTitle(); show(S.screen);
}

/* ---------------------------------------------------------------- live updates */

function soon(name, fn, ms) { clearTimeout(S.timers[name]); S.timers[name] = setTimeout(() => fn().catch(fail), ms === undefined ? 120 : ms); }

function connectEvents() {
  if (S.events) S.events.close();
  const es = new EventSource("/api/events");
  S.events = es;
  es.addEventListener("hello", () => { showOffline(false); if (S.connected) S.previewStale = true; S.connected = true; soon("status", loadStatus, 0); });
  const onChange = () => { soon("status", loadStatus); if (S.screen === "exam") soon("exam", loadExam); if (S.screen === "queue") soon("queue", loadQueue, 300); };
  for (const kind of ["exam", "job", "queue", "recording", "undo_expired", "workflow", "resync"]) es.addEventListener(kind, onChange);
  es.addEventListener("progress", (ev) => {
    const d = JSON.parse(ev.data);
    const card = document.querySelector('.cap[data-uid="' + CSS.escape(d.uid) + '"]');
    if (card && S.exam) {
      const c = S.exam.captures.find((x) => x.sop_instance_uid === d.uid);
      if (c && c.state !== "sending") { soon("exam", loadExam, 50); return; }
      if (c) { c.percent = d.percent; c.rate_mb_s = d.rate_mb_s; }
      const txt = card.querySelector(".st-text"); if (txt) txt.textContent = t("state_sending", { percent: d.percent });
      const bar = card.querySelector(".bar-p b"); if (bar) bar.style.width = d.percent + "%";
    }
  });
  es.addEventListener("source", () => soon("status", loadStatus, 0));
  es.addEventListener("lamps", () => { soon("status", loadStatus); if (S.screen === "queue") soon("queue", loadQueue); });
  es.addEventListener("worklist", () => { if (S.screen === "worklist") renderTitle(); });
  es.addEventListener("notice", (ev) => { const d = JSON.parse(ev.data); if (d.en) toast(S.lang === "de" ? d.de : d.en, { hint: S.lang === "de" ? d.hint_de : d.hint_en, bad: true, seconds: 10 }); });
  es.onerror = () => { showOffline(true); };
}

/* ---------------------------------------------------------------- start */

async function boot() {
  const session = await api("GET", "/api/session");
  S.authRequired = session.auth_required; S.csrf = session.csrf;
  if (!S.lang) S.lang = session.lang || "de";
  const r = await api("GET", "/api/texts?lang=" + S.lang); S.texts = r.texts;
  applyTexts();
  document.body.classList.remove("booting");
  if (!session.logged_in) { showLogin(); return; }
  await enter();
}

async function enter() {
  $("nav").hidden = false;
  const st = await loadStatus();
  connectEvents();
  show(st.open_exam ? "exam" : "worklist");
}

function wire() {
  $("photo").prepend(icon("camera"));
  for (const b of document.querySelectorAll("#nav .tab")) b.addEventListener("click", () => show(b.dataset.screen));
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault(); $("login-error").textContent = "";
    try { const r = await api("POST", "/api/login", { password: $("password").value }); S.csrf = r.csrf; $("password").value = ""; await enter(); }
    catch (e) { $("login-error").textContent = e.data ? e.data.message : String(e); }
  });
  $("search").addEventListener("input", (ev) => { S.search = ev.target.value; renderWorklist(); });
  for (const b of document.querySelectorAll("[data-range]")) b.addEventListener("click", () => { S.range = b.dataset.range; loadWorklist(false).catch(fail); });
  $("refresh").addEventListener("click", () => loadWorklist(true).catch(fail));
  for (const b of document.querySelectorAll(".emergency [data-kind]")) b.addEventListener("click", (ev) => startExam({ emergency: b.dataset.kind }, ev.currentTarget));
  $("resume").addEventListener("click", () => show("exam"));
  $("last-exam").addEventListener("click", () => { S.examId = S.status.last_exam.id; S.exam = null; show("exam"); });
  $("photo").addEventListener("click", takePhoto);
  $("video").addEventListener("click", toggleVideo);
  $("send-all").addEventListener("click", sendAll);
  $("end-exam").addEventListener("click", endExam);
  $("show-all").addEventListener("change", () => loadQueue().catch(fail));
  for (const b of document.querySelectorAll("[data-lang]")) b.addEventListener("click", () => setLang(b.dataset.lang).catch(fail));
  $("logout").addEventListener("click", async () => { await api("POST", "/api/logout").catch(() => null); location.reload(); });
  $("modal").addEventListener("click", (ev) => { if (ev.target === $("modal")) closeDialog(); });
  $("preview").addEventListener("error", () => { setTimeout(() => { if (S.screen === "exam") openPreview(); }, 1000); });
  setInterval(tickClock, 250);
  setInterval(() => { if (S.screen === "worklist" && S.worklist) loadWorklist(false).catch(() => null); }, 60000);
}

document.addEventListener("DOMContentLoaded", () => { wire(); boot().catch((e) => { console.error(e); document.body.classList.remove("booting"); showOffline(true); setTimeout(() => location.reload(), 3000); }); });

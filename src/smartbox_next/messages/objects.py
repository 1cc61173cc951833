"""Messages of object creation: anatomic region, identity checks against the worklist, SOP class choice
(see smartbox_next.messages)."""

from __future__ import annotations

from smartbox_next.messages._types import Message

MESSAGES: dict[str, Message] = {
    "region.unknown": Message(
        en="'{value}' is not an anatomic region: use a name ({names}) or a code SCHEME:VALUE:Meaning.",
        de="'{value}' ist keine anatomische Region: Bitte einen Namen ({names}) oder einen Code "
           "SCHEMA:WERT:Bedeutung angeben.",
        hint_en="Example: --anatomic-region upper-gi, or --anatomic-region \"SCT:14742008:Large intestine\".",
        hint_de="Beispiel: --anatomic-region upper-gi oder --anatomic-region \"SCT:14742008:Large intestine\".",
    ),
    "region.missing": Message(
        en="A {sop} object must name the examined anatomic region, and none is known for this exam: it was not "
           "given, the worklist entry does not name one, and no station default is set. Nothing was created.",
        de="Ein Objekt {sop} muss die untersuchte anatomische Region angeben, und für diese Untersuchung ist "
           "keine bekannt: Sie wurde nicht angegeben, der Worklist-Eintrag nennt keine, und es ist kein "
           "Stationsstandard eingestellt. Es wurde nichts erzeugt.",
        hint_en="Choose the region with --anatomic-region (e.g. colon, upper-gi, bronchus, bladder), or ask IT to "
                "map this procedure in [procedure_regions] or to set objects.anatomic_region.",
        hint_de="Bitte die Region mit --anatomic-region wählen (z. B. colon, upper-gi, bronchus, bladder) oder "
                "die IT bitten, diese Untersuchung in [procedure_regions] zuzuordnen bzw. objects.anatomic_region "
                "einzustellen.",
    ),
    "region.ambiguous": Message(
        en="The worklist entry names more than one anatomic region ({regions}); a {sop} object takes exactly one. "
           "Nothing was created.",
        de="Der Worklist-Eintrag nennt mehr als eine anatomische Region ({regions}); ein Objekt {sop} nimmt genau "
           "eine. Es wurde nichts erzeugt.",
        hint_en="Choose the region of this recording with --anatomic-region.",
        hint_de="Bitte die Region dieser Aufnahme mit --anatomic-region wählen.",
    ),
    "identity.worklist_conflict": Message(
        en="The patient given by hand does not match worklist entry {item} (accession {accession}); they differ "
           "in {fields}. Given: {typed}. Worklist: {worklist}. Nothing was created.",
        de="Der von Hand angegebene Patient passt nicht zum Worklist-Eintrag {item} (Auftragsnummer "
           "{accession}); sie unterscheiden sich in {fields}. Angegeben: {typed}. Worklist: {worklist}. Es wurde "
           "nichts erzeugt.",
        hint_en="Check the patient's wristband and the worklist entry. Only if the worklist entry is wrong and the "
                "given patient is right, repeat with --override-worklist (it is recorded with the exam).",
        hint_de="Bitte Patientenarmband und Worklist-Eintrag prüfen. Nur wenn der Worklist-Eintrag falsch und "
                "der angegebene Patient richtig ist, mit --override-worklist wiederholen (das wird bei der "
                "Untersuchung vermerkt).",
    ),
    "identity.worklist_unverified": Message(
        en="The patient given by hand cannot be checked against the worklist entry for accession {accession}: "
           "{detail} Nothing was created.",
        de="Der von Hand angegebene Patient kann nicht mit dem Worklist-Eintrag zur Auftragsnummer {accession} "
           "verglichen werden: {detail} Es wurde nichts erzeugt.",
        hint_en="Try again when the worklist server answers, or leave out --accession. Only if you are sure, "
                "repeat with --override-worklist (it is recorded with the exam).",
        hint_de="Bitte erneut versuchen, wenn der Worklist-Server antwortet, oder --accession weglassen. Nur wenn "
                "Sie sicher sind, mit --override-worklist wiederholen (das wird bei der Untersuchung vermerkt).",
    ),
    "objects.sop_needs_video": Message(
        en="{sop} is a video object, but {path} is a still image; nothing was created.",
        de="{sop} ist ein Videoobjekt, aber {path} ist ein Standbild; es wurde nichts erzeugt.",
        hint_en="For a still choose --sop sc, vl-endoscopic, vl-photographic or mf-sc (one frame).",
        hint_de="Für ein Standbild bitte --sop sc, vl-endoscopic, vl-photographic oder mf-sc (ein Bild) wählen.",
    ),
    "objects.sop_needs_still": Message(
        en="{sop} is a still-image object, but {path} is a video; nothing was created.",
        de="{sop} ist ein Standbildobjekt, aber {path} ist ein Video; es wurde nichts erzeugt.",
        hint_en="For a video choose --sop video-endoscopic, video-microscopic, video-photographic or mf-sc.",
        hint_de="Für ein Video bitte --sop video-endoscopic, video-microscopic, video-photographic oder mf-sc "
                "wählen.",
    ),
    "config.setting_moved": Message(
        en="The setting {setting} in {source} no longer exists: {replacement}",
        de="Die Einstellung {setting} in {source} gibt es nicht mehr: {replacement}",
        hint_en="Remove it from {source} and use the setting named above.",
        hint_de="Bitte aus {source} entfernen und die oben genannte Einstellung verwenden.",
    ),
}

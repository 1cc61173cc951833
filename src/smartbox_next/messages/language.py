"""Which language the operator reads: the configured one, else the system locale, else English.

``station.language`` set (file or environment) wins; empty means "follow the system": the POSIX locale
variables in their order of precedence (``LC_ALL``, ``LC_MESSAGES``, ``LANG``) — the first one set decides; a
locale that is neither German nor English (``C``, ``fr_FR``) gives English.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping

from smartbox_next.messages._types import Bilingual

LANGUAGES = ("de", "en")
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def system_language(env: Mapping[str, str]) -> str | None:
    """``de`` or ``en`` from the first locale variable set (``de_DE.UTF-8`` -> ``de``); None if it names neither."""
    for name in LOCALE_VARIABLES:
        value = env.get(name, "")
        if value:
            code = value.split(".", 1)[0].split("@", 1)[0].split("_", 1)[0].lower()
            return code if code in LANGUAGES else None
    return None


def operator_language(configured: str, env: Mapping[str, str]) -> str:
    """The language of every text: ``configured`` (``station.language``), else the locale, else English."""
    if configured in LANGUAGES:
        return configured
    return system_language(env) or "en"


_OS_REASONS: dict[int, tuple[str, str]] = {
    errno.ENOENT: ("the file or folder does not exist", "die Datei oder der Ordner existiert nicht"),
    errno.EACCES: ("permission denied", "keine Berechtigung"),
    errno.EPERM: ("operation not permitted", "Vorgang nicht erlaubt"),
    errno.EISDIR: ("it is a folder, not a file", "es ist ein Ordner, keine Datei"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "ein Teil des Pfads ist eine Datei, kein Ordner"),
    errno.EEXIST: ("a file of that name exists already", "eine Datei dieses Namens existiert bereits"),
    errno.ENOSPC: ("the disk is full", "der Datenträger ist voll"),
    errno.EROFS: ("the file system is read-only", "das Dateisystem ist schreibgeschützt"),
    errno.EIO: ("input/output error of the disk", "Ein-/Ausgabefehler des Datenträgers"),
    errno.ENAMETOOLONG: ("the name is too long", "der Name ist zu lang"),
    errno.ELOOP: ("too many symbolic links", "zu viele symbolische Verknüpfungen"),
    errno.EDQUOT: ("the disk quota is exhausted", "das Speicherkontingent ist erschöpft"),
}


def os_reason(exc: OSError) -> Bilingual:
    """Why a file operation failed, worded per language (never Python's ``[Errno 2] …`` text)."""
    known = _OS_REASONS.get(exc.errno or -1)
    if known is not None:
        return Bilingual(*known)
    name = errno.errorcode.get(exc.errno or -1, "")
    code = f"{name}, {exc.errno}" if name else "unknown"
    return Bilingual(f"operating system error ({code})", f"Fehler des Betriebssystems ({code})")

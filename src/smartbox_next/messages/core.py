"""Messages of configuration, attribute values and general input (see smartbox_next.messages)."""

from __future__ import annotations

from smartbox_next.messages._types import Message

MESSAGES: dict[str, Message] = {
    "config.invalid_value": Message(
        en="Setting '{setting}' has the invalid value '{value}': expected {expected}.",
        de="Die Einstellung '{setting}' hat den ungültigen Wert '{value}': erwartet wird {expected}.",
        hint_en="Correct '{setting}' where it is set ('smartbox config show' names the file and the SMARTBOX_* "
                "variables in use).",
        hint_de="Bitte '{setting}' dort korrigieren, wo sie gesetzt ist ('smartbox config show' nennt die Datei und "
                "die verwendeten SMARTBOX_*-Variablen).",
    ),
    "config.invalid_in_file": Message(
        en="Setting '{setting}' in {source} has the invalid value '{value}': expected {expected}.",
        de="Die Einstellung '{setting}' in {source} hat den ungültigen Wert '{value}': erwartet wird {expected}.",
        hint_en="Correct '{setting}' in {source}; 'smartbox config settings' lists every setting with its form.",
        hint_de="Bitte '{setting}' in {source} korrigieren; 'smartbox config settings' zeigt jede Einstellung mit "
                "der erwarteten Form.",
    ),
    "config.invalid_env": Message(
        en="The environment variable {variable} (setting '{setting}') has the invalid value '{value}': expected "
           "{expected}.",
        de="Die Umgebungsvariable {variable} (Einstellung '{setting}') hat den ungültigen Wert '{value}': erwartet "
           "wird {expected}.",
        hint_en="Correct or remove {variable} where it is set (shell profile, service unit); it overrides the "
                "configuration file.",
        hint_de="Bitte {variable} dort korrigieren oder entfernen, wo sie gesetzt wird (Shell-Profil, "
                "Dienst-Unit); sie hat Vorrang vor der Konfigurationsdatei.",
    ),
    "config.invalid_option": Message(
        en="The value '{value}' of {option} on the command line is invalid: expected {expected}.",
        de="Der Wert '{value}' von {option} auf der Befehlszeile ist ungültig: erwartet wird {expected}.",
        hint_en="Correct {option} on the command line, or name a peer of the configuration ('smartbox config "
                "show' lists them).",
        hint_de="Bitte {option} auf der Befehlszeile korrigieren oder eine Gegenstelle der Konfiguration nennen "
                "('smartbox config show' zeigt sie).",
    ),
    "config.unknown_setting": Message(
        en="Unknown setting '{setting}' in {source}.",
        de="Unbekannte Einstellung '{setting}' in {source}.",
        hint_en="Check the spelling: 'smartbox config settings' lists every setting with its default.",
        hint_de="Bitte die Schreibweise prüfen: 'smartbox config settings' zeigt jede Einstellung mit dem "
                "Vorgabewert.",
    ),
    "config.file_unreadable": Message(
        en="The configuration file {path} cannot be read: {detail}.",
        de="Die Konfigurationsdatei {path} kann nicht gelesen werden: {detail}.",
        hint_en="Check that the file exists, is readable and is valid TOML ('smartbox config settings' prints a "
                "complete example).",
        hint_de="Bitte prüfen Sie, ob die Datei existiert, lesbar ist und gültiges TOML enthält ('smartbox config "
                "settings' gibt ein vollständiges Beispiel aus).",
    ),
    "config.unknown_peer": Message(
        en="No peer named '{name}' is configured, and it is not of the form AET@host:port.",
        de="Es ist keine Gegenstelle '{name}' konfiguriert, und der Wert hat nicht die Form AET@host:port.",
        hint_en="Add it under [peers] in the configuration or write it as AET@host:port.",
        hint_de="Bitte unter [peers] in der Konfiguration eintragen oder als AET@host:port angeben.",
    ),
    "config.unknown_role": Message(
        en="Setting '{setting}' names the unknown role '{role}'; known roles: {allowed}.",
        de="Die Einstellung '{setting}' nennt die unbekannte Rolle '{role}'; bekannte Rollen: {allowed}.",
        hint_en="Correct '{setting}' in the configuration file: every role is one of {allowed}.",
        hint_de="Bitte '{setting}' in der Konfigurationsdatei korrigieren: Jede Rolle ist eine von {allowed}.",
    ),
    "config.worklist_peer_role": Message(
        en="worklist.peer names the peer '{peer}', but its roles ({roles}) do not include worklist.",
        de="worklist.peer nennt die Gegenstelle '{peer}', deren Rollen ({roles}) aber worklist nicht enthalten.",
        hint_en="Add \"worklist\" to peers.{peer}.roles, or set worklist.peer to the worklist server.",
        hint_de="Bitte \"worklist\" in peers.{peer}.roles ergänzen oder worklist.peer auf den Worklist-Server "
        "setzen.",
    ),
    "config.worklist_ambiguous": Message(
        en="Several peers have the role worklist ({peers}), and worklist.peer does not say which one to ask.",
        de="Mehrere Gegenstellen haben die Rolle worklist ({peers}), und worklist.peer legt nicht fest, welche "
        "gefragt wird.",
        hint_en="Set worklist.peer to one of them, or remove the role worklist from the others.",
        hint_de="Bitte worklist.peer auf eine von ihnen setzen oder den anderen die Rolle worklist entfernen.",
    ),
    "uid.bad_root": Message(
        en="The UID root '{root}' is not valid: {reason}.",
        de="Der UID-Stamm '{root}' ist ungültig: {reason}.",
        hint_en="Use your organisation's registered root (digits and dots, at most 40 characters) or leave it empty.",
        hint_de="Bitte den registrierten Stamm Ihrer Organisation (Ziffern und Punkte, höchstens 40 Zeichen) "
        "eintragen oder das Feld leer lassen.",
    ),
    "attr.too_long": Message(
        en="{attribute} is too long: {length} characters, at most {maximum} allowed ({vr}).",
        de="{attribute} ist zu lang: {length} Zeichen, höchstens {maximum} erlaubt ({vr}).",
        hint_en="Shorten the value; it is never cut off silently.",
        hint_de="Bitte den Wert kürzen; er wird nie stillschweigend abgeschnitten.",
    ),
    "attr.bad_characters": Message(
        en="{attribute} contains characters not allowed in a {vr} value: '{value}' ({rule}).",
        de="{attribute} enthält Zeichen, die in einem {vr}-Wert nicht erlaubt sind: '{value}' ({rule}).",
        hint_en="Correct the value; it is never changed silently.",
        hint_de="Bitte den Wert korrigieren; er wird nie stillschweigend geändert.",
    ),
    "attr.bad_date": Message(
        en="{attribute} is not a valid date: '{value}' (expected YYYYMMDD).",
        de="{attribute} ist kein gültiges Datum: '{value}' (erwartet JJJJMMTT).",
        hint_en="Enter the date as YYYYMMDD, e.g. 19650412.",
        hint_de="Bitte das Datum als JJJJMMTT eingeben, z. B. 19650412.",
    ),
    "attr.bad_time": Message(
        en="{attribute} is not a valid time: '{value}' (expected HHMMSS).",
        de="{attribute} ist keine gültige Uhrzeit: '{value}' (erwartet HHMMSS).",
        hint_en="Enter the time as HHMMSS, e.g. 143000.",
        hint_de="Bitte die Uhrzeit als HHMMSS eingeben, z. B. 143000.",
    ),
    "attr.bad_uid": Message(
        en="{attribute} is not a valid UID: '{value}'.",
        de="{attribute} ist keine gültige UID: '{value}'.",
        hint_en="A UID has at most 64 characters, digits and dots, no leading zeros in a component.",
        hint_de="Eine UID hat höchstens 64 Zeichen aus Ziffern und Punkten, ohne führende Nullen.",
    ),
    "attr.out_of_range": Message(
        en="{attribute} is out of range: '{value}', allowed {minimum} … {maximum} ({vr}).",
        de="{attribute} liegt außerhalb des Bereichs: '{value}', erlaubt {minimum} … {maximum} ({vr}).",
        hint_en="Enter a value between {minimum} and {maximum}.",
        hint_de="Bitte einen Wert zwischen {minimum} und {maximum} eingeben.",
    ),
    "attr.bad_code": Message(
        en="{attribute} has the value '{value}', allowed are: {allowed}.",
        de="{attribute} hat den Wert '{value}', erlaubt sind: {allowed}.",
        hint_en="Choose one of the allowed values.",
        hint_de="Bitte einen der erlaubten Werte wählen.",
    ),
    "attr.missing": Message(
        en="{attribute} is required but missing.",
        de="{attribute} ist erforderlich, fehlt aber.",
        hint_en="Enter a value for {attribute} or use an emergency identity.",
        hint_de="Bitte einen Wert für {attribute} eingeben oder eine Notfall-Identität verwenden.",
    ),
    "input.not_found": Message(
        en="The file {path} does not exist or cannot be read.",
        de="Die Datei {path} existiert nicht oder kann nicht gelesen werden.",
        hint_en="Check the path and the file permissions.",
        hint_de="Bitte Pfad und Dateirechte prüfen.",
    ),
    "input.unreadable": Message(
        en="The file {path} cannot be read: {detail}.",
        de="Die Datei {path} kann nicht gelesen werden: {detail}.",
        hint_en="Check the path and the file permissions.",
        hint_de="Bitte Pfad und Dateirechte prüfen.",
    ),
    "input.not_media": Message(
        en="{path} is not an image or video SmartBox can read: {reason}.",
        de="{path} ist kein Bild und kein Video, das SmartBox lesen kann: {reason}.",
        hint_en="Choose the image (JPEG, PNG, BMP, TIFF) or video (MP4, MPEG-TS, MPEG-PS, MKV/WebM, AVI, MOV) "
                "file of the capture; a renamed text file or an empty copy cannot become an object.",
        hint_de="Bitte die Bild- (JPEG, PNG, BMP, TIFF) oder Videodatei (MP4, MPEG-TS, MPEG-PS, MKV/WebM, AVI, MOV) "
                "der Aufnahme wählen; eine umbenannte Textdatei oder eine leere Kopie wird kein Objekt.",
    ),
    "validate.not_dicom": Message(
        en="{path} is not a DICOM file: {reason}.",
        de="{path} ist keine DICOM-Datei: {reason}.",
        hint_en="Choose a DICOM file (e.g. one written by 'smartbox create'); images and videos are turned into "
                "DICOM objects with 'smartbox create'.",
        hint_de="Bitte eine DICOM-Datei wählen (z. B. eine von 'smartbox create' geschriebene); Bilder und Videos "
                "werden mit 'smartbox create' zu DICOM-Objekten.",
    ),
    "input.output_unwritable": Message(
        en="Cannot write to {path}: {detail}",
        de="In {path} kann nicht geschrieben werden: {detail}",
        hint_en="Check that the folder exists, is writable and has free space.",
        hint_de="Bitte prüfen, ob der Ordner existiert, beschreibbar ist und freien Platz hat.",
    ),
    "validate.failed": Message(
        en="{path}: the object violates the standard: {detail}",
        de="{path}: das Objekt verletzt den Standard: {detail}",
        hint_en="This is a defect of the creating software; keep the file and report it.",
        hint_de="Dies ist ein Fehler der erzeugenden Software; bitte Datei aufbewahren und melden.",
    ),
    "still.not_image": Message(
        en="{path} is not an image this station can read (JPEG, PNG, BMP, TIFF).",
        de="{path} ist kein Bild, das diese Station lesen kann (JPEG, PNG, BMP, TIFF).",
        hint_en="Check that the right file was chosen; a renamed text or video file cannot become an image.",
        hint_de="Bitte prüfen, ob die richtige Datei gewählt wurde; eine umbenannte Text- oder Videodatei ist kein Bild.",
    ),
    "still.cannot_decode": Message(
        en="{path} cannot be decoded: {detail}",
        de="{path} kann nicht dekodiert werden: {detail}",
        hint_en="The file is damaged or uses a coding this station does not support; export it again as baseline JPEG or PNG.",
        hint_de="Die Datei ist beschädigt oder nutzt eine nicht unterstützte Kodierung; bitte erneut als Baseline-JPEG oder PNG exportieren.",
    ),
    "still.too_large": Message(
        en="{path} is too large: {columns} × {rows} pixels, at most {maximum} pixels per side and {max_pixels} pixels in all.",
        de="{path} ist zu groß: {columns} × {rows} Pixel, höchstens {maximum} Pixel je Seite und {max_pixels} Pixel insgesamt.",
        hint_en="Reduce the image size before capture or export.",
        hint_de="Bitte die Bildgröße vor Aufnahme oder Export verkleinern.",
    ),
    "still.zero_size": Message(
        en="{path} has no pixels ({columns} × {rows}).",
        de="{path} enthält keine Pixel ({columns} × {rows}).",
        hint_en="Capture the image again.",
        hint_de="Bitte das Bild erneut aufnehmen.",
    ),
    "still.bad_frame": Message(
        en="The raw frame is not usable: {detail}",
        de="Das Rohbild ist nicht verwendbar: {detail}",
        hint_en="Pass an 8-bit array of shape (rows, columns) or (rows, columns, 3), or bytes with width, height and format.",
        hint_de="Bitte ein 8-Bit-Array der Form (Zeilen, Spalten) oder (Zeilen, Spalten, 3) übergeben, oder Bytes mit Breite, Höhe und Format.",
    ),
    "still.unsupported_for_sop": Message(
        en="{path} cannot be stored as {sop}: {detail}",
        de="{path} kann nicht als {sop} gespeichert werden: {detail}",
        hint_en="Use Secondary Capture (--sop sc) for this image.",
        hint_de="Bitte für dieses Bild Secondary Capture (--sop sc) verwenden.",
    ),
    "exam.patient_conflict": Message(
        en="Study {study} already holds objects of patient ID {other}, not {patient_id}; nothing was created.",
        de="Die Studie {study} enthält bereits Objekte der Patienten-ID {other}, nicht {patient_id}; es wurde nichts erzeugt.",
        hint_en="Check the patient and the worklist entry; never join a study of another patient.",
        hint_de="Bitte Patient und Worklist-Eintrag prüfen; niemals einer Studie eines anderen Patienten beitreten.",
    ),
    "exam.bad_study_uid": Message(
        en="'{value}' is not a Study Instance UID (digits and dots, at most 64 characters); nothing was created.",
        de="'{value}' ist keine Study Instance UID (Ziffern und Punkte, höchstens 64 Zeichen); es wurde nichts erzeugt.",
        hint_en="Check where the study came from (worklist entry or --study-uid) and correct it there.",
        hint_de="Bitte prüfen, woher die Studie stammt (Worklist-Eintrag oder --study-uid), und dort korrigieren.",
    ),
    "exam.journal_damaged": Message(
        en="The exam journal {path} is damaged ({detail}); no capture was added to this study. Other exams are "
           "not affected.",
        de="Das Untersuchungsprotokoll {path} ist beschädigt ({detail}); dieser Studie wurde keine Aufnahme "
           "hinzugefügt. Andere Untersuchungen sind nicht betroffen.",
        hint_en="Ask IT to move the file aside (it holds only this study's series numbering and start time): the "
                "next capture then starts the journal anew. Captures already made are safe in the spool.",
        hint_de="Bitte die IT bitten, die Datei beiseitezulegen (sie enthält nur Serien-Nummerierung und "
                "Startzeit dieser Studie): Die nächste Aufnahme legt das Protokoll neu an. Bereits erstellte "
                "Aufnahmen sind im Zwischenspeicher sicher.",
    ),
}

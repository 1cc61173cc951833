"""Messages of the still-image area: JPEG parsing and object validation (see smartbox_next.messages)."""

from __future__ import annotations

from smartbox_next.messages._types import Message

MESSAGES: dict[str, Message] = {
    "image.empty": Message(
        en="The image file {path} is empty.",
        de="Die Bilddatei {path} ist leer.",
        hint_en="Capture the image again or choose another file.",
        hint_de="Bitte nehmen Sie das Bild erneut auf oder wählen Sie eine andere Datei.",
    ),
    "image.unreadable": Message(
        en="The image file {path} cannot be read: {detail}",
        de="Die Bilddatei {path} kann nicht gelesen werden: {detail}",
        hint_en="Check that the file exists and that SmartBox may read it.",
        hint_de="Bitte prüfen Sie, ob die Datei existiert und SmartBox sie lesen darf.",
    ),
    "image.not_jpeg": Message(
        en="The file {path} is not a JPEG image.",
        de="Die Datei {path} ist kein JPEG-Bild.",
        hint_en="Choose a JPEG file (.jpg) or convert the image to JPEG.",
        hint_de="Bitte wählen Sie eine JPEG-Datei (.jpg) oder wandeln Sie das Bild in JPEG um.",
    ),
    "image.truncated": Message(
        en="The JPEG image {path} is incomplete (it ends after {size} bytes).",
        de="Das JPEG-Bild {path} ist unvollständig (es endet nach {size} Bytes).",
        hint_en="The file was probably not copied completely. Copy or capture it again.",
        hint_de="Die Datei wurde vermutlich nicht vollständig kopiert. Bitte kopieren oder nehmen Sie sie erneut auf.",
    ),
    "image.corrupt": Message(
        en="The JPEG image {path} is damaged (invalid structure at byte {offset}).",
        de="Das JPEG-Bild {path} ist beschädigt (ungültige Struktur bei Byte {offset}).",
        hint_en="Capture the image again or choose another file.",
        hint_de="Bitte nehmen Sie das Bild erneut auf oder wählen Sie eine andere Datei.",
    ),
    "image.no_frame": Message(
        en="The JPEG image {path} contains no image frame (no SOF marker before the image data).",
        de="Das JPEG-Bild {path} enthält keinen Bildrahmen (kein SOF-Marker vor den Bilddaten).",
        hint_en="The file is damaged or not a picture. Choose another file.",
        hint_de="Die Datei ist beschädigt oder kein Bild. Bitte wählen Sie eine andere Datei.",
    ),
    "image.zero_size": Message(
        en="The JPEG image {path} declares a size of {columns}×{rows} pixels; a DICOM image needs both > 0.",
        de="Das JPEG-Bild {path} gibt eine Größe von {columns}×{rows} Pixeln an; ein DICOM-Bild braucht "
        "beide Werte > 0.",
        hint_en="Save the image again with a regular image program and retry.",
        hint_de="Bitte speichern Sie das Bild mit einem üblichen Bildprogramm neu und versuchen Sie es erneut.",
    ),
    "validate.unreadable": Message(
        en="The file {path} cannot be read as DICOM: {detail}",
        de="Die Datei {path} kann nicht als DICOM gelesen werden: {detail}",
        hint_en="Check that the path is a DICOM file (Part 10, with 'DICM' prefix).",
        hint_de="Bitte prüfen Sie, ob der Pfad eine DICOM-Datei (Part 10, mit 'DICM'-Kennung) ist.",
    ),
}

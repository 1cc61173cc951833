"""Messages of the video and media area (see smartbox_next.messages)."""

from __future__ import annotations

from smartbox_next.messages._types import Message

MESSAGES: dict[str, Message] = {
    "media.unreadable": Message(
        en="The file {path} is not a readable video: {detail}",
        de="Die Datei {path} ist kein lesbares Video: {detail}",
        hint_en="Check that the file is a complete video recording (e.g. MP4, MPEG-TS) and not another file type.",
        hint_de="Bitte prüfen Sie, ob die Datei eine vollständige Videoaufnahme (z. B. MP4, MPEG-TS) ist.",
    ),
    "media.truncated": Message(
        en="The video {path} is incomplete (cut off): {detail}",
        de="Das Video {path} ist unvollständig (abgeschnitten): {detail}",
        hint_en="Copy the recording again from the recorder or the USB stick; the copy was interrupted.",
        hint_de="Bitte kopieren Sie die Aufnahme erneut vom Rekorder oder USB-Stick; der Kopiervorgang wurde "
        "unterbrochen.",
    ),
    "media.corrupt": Message(
        en="The video {path} is damaged and cannot be decoded: {detail}",
        de="Das Video {path} ist beschädigt und kann nicht dekodiert werden: {detail}",
        hint_en="Export the recording again from the source device.",
        hint_de="Bitte exportieren Sie die Aufnahme erneut vom Quellgerät.",
    ),
    "media.no_video": Message(
        en="The file {path} contains no video stream (audio only or no media).",
        de="Die Datei {path} enthält keinen Videostrom (nur Ton oder keine Medien).",
        hint_en="Choose the video file of the recording, not an audio file.",
        hint_de="Bitte wählen Sie die Videodatei der Aufnahme, keine Audiodatei.",
    ),
    "media.no_frames": Message(
        en="The video {path} contains no frames.",
        de="Das Video {path} enthält keine Bilder.",
        hint_en="The recording is empty; record again or choose another file.",
        hint_de="Die Aufnahme ist leer; bitte erneut aufnehmen oder eine andere Datei wählen.",
    ),
    "media.unsupported": Message(
        en="The video {path} ({stream}) cannot be stored unchanged and transcoding is switched off: {reasons}.",
        de="Das Video {path} ({stream}) kann nicht unverändert gespeichert werden, und das Umkodieren ist "
        "ausgeschaltet: {reasons}.",
        hint_en="Set video.allow_transcode = true in the configuration, or record in H.264 (MP4) or MPEG-2.",
        hint_de="Bitte video.allow_transcode = true in der Konfiguration setzen oder in H.264 (MP4) bzw. MPEG-2 "
        "aufnehmen.",
    ),
    "media.transcode_failed": Message(
        en="Converting the video {path} failed: {detail}",
        de="Das Umwandeln des Videos {path} ist fehlgeschlagen: {detail}",
        hint_en="Check free disk space and that the file plays on this station; then try again.",
        hint_de="Bitte prüfen Sie den freien Speicherplatz und ob die Datei an dieser Station abspielbar ist; "
        "dann erneut versuchen.",
    ),
    "media.gop_too_large": Message(
        en="The video {path} cannot be split into parts of at most {limit} bytes: one section between key frames "
        "is {size} bytes.",
        de="Das Video {path} lässt sich nicht in Teile von höchstens {limit} Bytes aufteilen: ein Abschnitt "
        "zwischen Schlüsselbildern hat {size} Bytes.",
        hint_en="Set video.long_video_mode = \"fragmentable\" in the configuration, or record with shorter key "
        "frame intervals.",
        hint_de="Bitte video.long_video_mode = \"fragmentable\" in der Konfiguration setzen oder mit kürzeren "
        "Schlüsselbild-Abständen aufnehmen.",
    ),
    "media.not_video_object": Message(
        en="The DICOM file {path} holds no video that could be converted: {detail}",
        de="Die DICOM-Datei {path} enthält kein umwandelbares Video: {detail}",
        hint_en="Choose a video object (Video Endoscopic, Microscopic or Photographic).",
        hint_de="Bitte wählen Sie ein Videoobjekt (Video Endoscopic, Microscopic oder Photographic).",
    ),
    "media.bad_target": Message(
        en="The transfer syntax {ts} is not a video transfer syntax this station can produce.",
        de="Die Transfersyntax {ts} ist keine Video-Transfersyntax, die diese Station erzeugen kann.",
        hint_en="Use an MPEG-2 (1.2.840.10008.1.2.4.100/101) or H.264 (1.2.840.10008.1.2.4.102) transfer syntax.",
        hint_de="Bitte eine MPEG-2- (1.2.840.10008.1.2.4.100/101) oder H.264-Transfersyntax "
        "(1.2.840.10008.1.2.4.102) verwenden.",
    ),
    "media.still_unreadable": Message(
        en="The image {path} cannot be read as a frame: {detail}",
        de="Das Bild {path} kann nicht als Einzelbild gelesen werden: {detail}",
        hint_en="Use JPEG or PNG images of the same size for a multi-frame object.",
        hint_de="Bitte für ein Mehrbildobjekt JPEG- oder PNG-Bilder gleicher Größe verwenden.",
    ),
    "media.frame_size_mismatch": Message(
        en="The image {path} is {size}, but the first frame is {expected}; all frames must have the same size.",
        de="Das Bild {path} hat {size}, das erste Bild aber {expected}; alle Bilder müssen gleich groß sein.",
        hint_en="Choose images of one capture series with the same size.",
        hint_de="Bitte Bilder einer Aufnahmeserie mit gleicher Größe wählen.",
    ),
}

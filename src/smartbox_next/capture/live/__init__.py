"""Live capture: sources (test pattern, a video file in a loop, a V4L2 grabber — all through PyAV), the frame
hub every consumer reads the newest frame from, the preview encoder and the recorder (real-time H.264 with a
ring buffer of encoded video for pre-record).

No DICOM objects here: a still leaves as a baseline JPEG encoded once from the frame, a recording as an MP4 file
the video builder wraps byte for byte (``iod.video``). The station (``app.live``) ties these to an exam.
"""

"""The capture station's web side: the HTTP API (JSON, Server-Sent Events, an MJPEG preview) and the touch UI on
top of it (plain HTML, CSS and JavaScript shipped in the package, no build step). It calls the station's use
cases in :mod:`smartbox_next.app.live` only; :func:`smartbox_next.web.app.create_app` builds the ASGI app.
"""

"""The station's listener (SCP) while ``smartbox serve`` runs: Storage Commitment reports on a new association.

A Storage Commitment SCP may report on a new association it opens to the station (PS3.4 J.3.3.1.2: it must be
able to; Orthanc always does), proposing the SCP role by SCU/SCP Role Selection (PS3.7 D.3.3.4). The listener
accepts such associations only from the AE titles of the configured commitment peers, answers C-ECHO (PS3.2
§7.1.1) and hands every N-EVENT-REPORT to the handler, whose status it answers. The handler checks the peer's
host and everything in the report; the listener itself trusts nothing but the AE title filter.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartbox_next.config import ListenerConfig, NetworkConfig, StationConfig
from smartbox_next.net.adapter import EventReportHandler, Server, start_listener
from smartbox_next.net.link import LinkSettings


def listener_ae_title(station: StationConfig, listener: ListenerConfig) -> str:
    """The listener's AE title: ``listener.ae_title``, else the station's own."""
    return listener.ae_title or station.ae_title


def start(station: StationConfig, listener: ListenerConfig, network: NetworkConfig, calling_aes: Sequence[str],
          handler: EventReportHandler) -> Server:
    """Listen on ``listener.host:listener.port`` (port 0 is refused here: the caller decides whether to listen)."""
    if listener.port == 0:
        raise ValueError("listener.port 0 means: no listener")
    return start_listener(listener_ae_title(station, listener), LinkSettings.of(station, network),
                          host=listener.host, port=listener.port, calling_aes=sorted(set(calling_aes)),
                          on_event_report=handler)

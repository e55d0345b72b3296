"""What api/connection.py relies on in paho-mqtt's private code, checked.

paho-mqtt 2.1 has no public way to hand its client a socket connected
beforehand: ``connect()``/``reconnect()`` always make their own, blocking
(``socket.create_connection`` and a blocking TLS handshake; ``proxy_set``
only routes that through PySocks, ``tls_set_context`` only picks the TLS
context, ``socket()`` only returns the socket in use). So ``_PahoClient``
overrides the private ``Client._create_socket``. These checks fail, naming
paho's version, as soon as paho changes what that override relies on.
"""

from __future__ import annotations

from importlib.metadata import version
import inspect

from paho.mqtt.client import Client

from custom_components.cardata.api.connection import _PahoClient

PAHO = version("paho-mqtt")


def test_paho_still_takes_its_socket_from_create_socket() -> None:
    source = inspect.getsource(Client.reconnect)
    assert "self._sock = self._create_socket()" in source, (
        f"paho-mqtt {PAHO}: Client.reconnect no longer gets its socket from "
        "_create_socket(); api/connection.py's _PahoClient must find another way"
    )


def test_the_override_has_the_signature_of_paho_s_method() -> None:
    theirs = inspect.signature(Client._create_socket)
    ours = inspect.signature(_PahoClient._create_socket)
    assert ours == theirs, (
        f"paho-mqtt {PAHO}: Client._create_socket is now {theirs}; "
        f"api/connection.py's _PahoClient overrides it as {ours}"
    )

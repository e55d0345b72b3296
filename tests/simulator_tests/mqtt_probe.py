"""A paho-mqtt client on its own thread, for checking the broker's rules."""

from __future__ import annotations

import ssl
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


class Probe:
    """One MQTT 3.1.1 connection to the simulator's broker over TLS."""

    def __init__(
        self,
        endpoints: dict[str, Any],
        username: str,
        password: str | None,
        *,
        clean_session: bool = True,
        tls_version: ssl.TLSVersion | None = None,
        keepalive: int = 30,
    ) -> None:
        self.endpoints = endpoints
        self.keepalive = keepalive
        self.lock = threading.Lock()
        self.connack: list[str] = []
        self.connack_codes: list[int] = []
        self.disconnects = 0
        self.suback: list[list[int]] = []
        self.messages: list[tuple[str, bytes]] = []
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=username,
            protocol=mqtt.MQTTv311,
            clean_session=clean_session,
        )
        context = ssl.create_default_context(cafile=endpoints["stream_ca_file"])
        if tls_version is not None:
            context.minimum_version = tls_version
            context.maximum_version = tls_version
        self.client.tls_set_context(context)
        self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(60, 120)  # no quick automatic retries
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.started = False

    def _on_connect(
        self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        with self.lock:
            self.connack.append(str(rc))
            self.connack_codes.append(int(rc.value))

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        with self.lock:
            self.disconnects += 1

    def _on_subscribe(
        self, client: Any, userdata: Any, mid: int, codes: Any, props: Any
    ) -> None:
        with self.lock:
            self.suback.append([int(c.value) for c in codes])

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self.lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def start(self) -> None:
        """Connect in paho's own thread."""
        self.client.connect_async(
            self.endpoints["stream_host"], self.endpoints["stream_port"], self.keepalive
        )
        self.client.loop_start()
        self.started = True

    def subscribe(self, topic: str, qos: int = 0) -> None:
        """Subscribe (at QoS 0 unless told)."""
        self.client.subscribe(topic, qos)

    def stop(self) -> None:
        """Disconnect and join paho's thread."""
        if self.started:
            self.client.disconnect()
            self.client.loop_stop()
            self.started = False

    @property
    def connected(self) -> bool:
        """Whether paho thinks it is connected."""
        return self.client.is_connected()

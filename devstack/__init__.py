"""The local stack: embedded AWS (moto server), tables from infra/, demo data, REST and
WebSocket on one port, and the stream poller. Never packaged into Lambda."""

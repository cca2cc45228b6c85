"""MQTT: session telemetry and events out, safe remote commands in, Home Assistant discovery."""

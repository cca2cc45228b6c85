"""Heart rate in a session: the strap's configuration, the sensor agent, the ceiling's settings.

The codec is ``treadctl.hrs``, the strap's BLE link ``treadctl.ble.heart_rate``, the pure trust
and ceiling rules ``treadctl.safety.heart_rate``. This package puts them to work: the agent
(``agent.py``) listens to the session and the strap and acts only through
``SessionControls.request``.
"""

"""The FTMS treadmill client over bleak: the only package that imports bleak.

Everything above it talks to :class:`treadctl.link.TreadmillLink`; bleak types never leave this
package. Entry points (each imports bleak, so import them lazily from command code):

* ``treadctl.ble.client.FtmsClient`` — a ``TreadmillLink`` for a real address or name;
* ``treadctl.ble.scan.scan`` — find FTMS treadmills nearby;
* ``treadctl.ble.probe.probe`` — read everything a device offers, for bug reports.

The same client wired to the simulator's backend is ``treadctl.simulated_link`` (outside this
package, so that ``ble`` never imports ``simulators``). ``treadctl.ble.quirks``,
``treadctl.ble.errors`` and ``treadctl.ble.procedure`` (the Control Point procedure machine) do
not import bleak at module level.
"""

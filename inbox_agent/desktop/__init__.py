"""The program on a desktop: the process around the daemon (`run`: lock, log, signals), the
daemon that runs every account (`daemon`) and its pure rules (`decisions`), the tray (`tray`,
the pystray edge, drawing its `icon` and showing its `menu`) and what the menu does (`actions`),
problems told to the user once (`notify`), the daemon's state on disk for `status` and the tray
(`status`), and starting at login (`autostart`).

The surface is modules, imported by name, so that the CLI's other commands never load the
scheduler, the tray or Pillow.
"""

__all__ = ["autostart", "run", "status"]

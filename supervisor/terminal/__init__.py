"""The client side of terminals: detach keys (a pure matcher), raw mode, window sizes and the
attach loop of a tty session. The monitor's side (the pty master) is in conmon/."""

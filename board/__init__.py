"""The control room's web board: pages served at /board/, on the public API and websockets only."""

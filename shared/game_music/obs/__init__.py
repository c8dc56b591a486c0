"""The OBS companion (``game-music obs watch``) over obs-websocket."""

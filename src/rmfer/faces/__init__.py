"""Face detection, tracking and alignment."""

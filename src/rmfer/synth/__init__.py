"""The procedural demo world: faces, films, reaction mashup videos and a labeled benchmark."""

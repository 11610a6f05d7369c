"""One Kedro pipeline per stage of the method."""

"""The errors a user can fix: bad settings, missing or broken data, checkpoints and runs.

Each message says what was wrong, where (file, line, video, frame), and how to fix it.
`mict` prints these on one line and exits with status 2; any other exception is a bug
and keeps its traceback. The classes also derive from the built-in type a library
caller would expect (ValueError, FileNotFoundError, …).
"""


class MictError(Exception):
    """A problem with what the user gave or asked for, explained in its message."""


class ConfigError(MictError, ValueError):
    """A setting is out of range, unknown, or inconsistent with another one."""


class CheckpointError(MictError, ValueError):
    """A file is not a checkpoint, is unsafe to load, or does not fit the model."""


class CorruptFrameError(MictError, RuntimeError):
    """A prepared frame does not decode; the message names the video, the frame and the fix."""


class VideoReadError(MictError, ValueError):
    """A video file cannot be opened or holds no decodable frames."""


class MissingFileError(MictError, FileNotFoundError):
    """A file or folder that was named does not exist."""


class DataError(MictError, ValueError):
    """A prepared dataset is inconsistent or lacks what was asked of it."""


class ClipShapeError(MictError, ValueError):
    """A clip batch whose shape a video model cannot take: wrong axes, no frames, frames too small."""


class DataNotPreparedError(MictError, FileNotFoundError):
    """The frames or the manifest are not there; the message says which command makes them."""

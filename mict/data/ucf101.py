"""UCF-101 as it is distributed: the video layout and the official split lists.

    ROOT/UCF-101/<Class>/v_<Class>_gGG_cCC.avi
    ROOT/ucfTrainTestlist/{classInd, trainlist0k, testlist0k}.txt
         (or the zip UCF101TrainTestSplits-RecognitionTask.zip holding that folder)

Facts the reader respects: labels come from classInd.txt (1-based; it is sorted
case-insensitively, which Python's sorted() is not), train lists carry a label and
test lists do not, lines end in CRLF, and the class is the folder, not the file name
(HandstandPushups/v_HandStandPushups_g01_c01.avi).
"""

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import ConfigError, MictError, MissingFileError

VIDEO_DIR = "UCF-101"
LIST_DIR = "ucfTrainTestlist"
LIST_ZIP = "UCF101TrainTestSplits-RecognitionTask.zip"
CLASS_INDEX = "classInd.txt"
SPLITS = (1, 2, 3)
VIDEO_SUFFIX = ".avi"

_VIDEO_STEM = re.compile(r"^v_(?P<name>.+)_g(?P<group>\d+)_c(?P<clip>\d+)$")


class SplitListError(MictError, ValueError):
    """A split list is missing or malformed; the message names the file and the line."""


@dataclass(frozen=True)
class VideoName:
    """A video's identity: 'Class/v_Class_gGG_cCC' (no extension), its class folder, group and clip."""

    video: str
    class_name: str
    group: int
    clip: int

    @classmethod
    def parse(cls, path: str) -> "VideoName":
        """Parse 'Class/v_Class_gGG_cCC[.avi]'; the class is the folder."""
        parts = PurePosixPath(path.strip().replace("\\", "/")).parts
        if len(parts) != 2:
            raise ValueError(f"expected 'Class/v_Class_gGG_cCC.avi', got {path!r}")
        folder, file_name = parts
        stem = file_name[: -len(VIDEO_SUFFIX)] if file_name.lower().endswith(VIDEO_SUFFIX) else file_name
        match = _VIDEO_STEM.match(stem)
        if not match:
            raise ValueError(f"video name {file_name!r} does not follow v_<Class>_gGG_cCC.avi")
        return cls(f"{folder}/{stem}", folder, int(match["group"]), int(match["clip"]))


def groups_tested_in(split: int) -> range:
    """Split k tests on groups 7k−6 … 7k (UCF-101's three splits)."""
    check_split(split)
    return range(7 * split - 6, 7 * split + 1)


def check_split(split: int) -> None:
    if split not in SPLITS:
        raise ConfigError(f"split must be 1, 2 or 3 (UCF-101's official splits), got {split!r}")


class SplitLists:
    """The official list files, read from a folder or straight from the distributed zip."""

    def __init__(self, source: Path, files: dict[str, str]):
        self.source = source
        self._files = files  # file name -> text

    @classmethod
    def find(cls, root: str | Path) -> "SplitLists":
        """Look in ROOT/ucfTrainTestlist/, ROOT/<zip>, or ROOT itself if it holds classInd.txt."""
        root = Path(root)
        for folder in (root / LIST_DIR, root):
            if (folder / CLASS_INDEX).is_file():
                return cls.from_folder(folder)
        if (root / LIST_ZIP).is_file():
            return cls.from_zip(root / LIST_ZIP)
        raise SplitListError(
            f"no UCF-101 split lists under {root}: expected {root / LIST_DIR / CLASS_INDEX} "
            f"or the zip {root / LIST_ZIP} (download it from the UCF-101 page and put it there)"
        )

    @classmethod
    def from_folder(cls, folder: Path) -> "SplitLists":
        files = {p.name: p.read_text(encoding="utf-8-sig") for p in folder.glob("*.txt")}
        return cls(folder, files)

    @classmethod
    def from_zip(cls, path: Path) -> "SplitLists":
        try:
            with zipfile.ZipFile(path) as archive:
                files = {
                    PurePosixPath(name).name: archive.read(name).decode("utf-8-sig")
                    for name in archive.namelist()
                    if name.endswith(".txt")
                }
        except zipfile.BadZipFile as error:
            raise SplitListError(f"{path} is not a readable zip file ({error}); download it again") from None
        return cls(path, files)

    def _lines(self, name: str) -> list[tuple[int, str]]:
        """(line number, text) of every non-blank line; CRLF and LF both work."""
        if name not in self._files:
            raise SplitListError(f"{self.source}: missing {name} (the official UCF-101 split lists have it)")
        return [(n, line.strip()) for n, line in enumerate(self._files[name].splitlines(), 1) if line.strip()]

    def classes(self) -> list[str]:
        """Class names ordered by their index in classInd.txt: label = index − 1."""
        names = {}
        for n, line in self._lines(CLASS_INDEX):
            fields = line.split()
            if len(fields) != 2 or not fields[0].isdigit():
                raise SplitListError(f"{self.source}/{CLASS_INDEX}, line {n}: expected '<index> <ClassName>', "
                                     f"got {line!r}")
            index = int(fields[0])
            if index in names:
                raise SplitListError(f"{self.source}/{CLASS_INDEX}, line {n}: index {index} appears twice")
            names[index] = fields[1]
        if sorted(names) != list(range(1, len(names) + 1)):
            raise SplitListError(f"{self.source}/{CLASS_INDEX}: indices must run 1…{len(names)} without gaps")
        return [names[i] for i in range(1, len(names) + 1)]

    def split(self, split: int) -> dict[str, str]:
        """video → 'train' or 'test' for split k, checking every label against classInd.txt."""
        check_split(split)
        classes = self.classes()
        label_of = {name: i for i, name in enumerate(classes)}
        membership: dict[str, str] = {}
        for subset in ("train", "test"):
            name = f"{subset}list{split:02d}.txt"
            for n, line in self._lines(name):
                where = f"{self.source}/{name}, line {n}"
                fields = line.split()
                expected = "'Class/v_Class_gGG_cCC.avi <label>'" if subset == "train" else "'Class/v_Class_gGG_cCC.avi'"
                if len(fields) not in (1, 2) or (subset == "train" and len(fields) != 2):
                    raise SplitListError(f"{where}: expected {expected}, got {line!r}")
                try:
                    entry = VideoName.parse(fields[0])
                except ValueError as error:
                    raise SplitListError(f"{where}: {error}") from None
                if entry.class_name not in label_of:
                    raise SplitListError(f"{where}: class {entry.class_name!r} is not in {CLASS_INDEX}")
                if len(fields) == 2:
                    if not fields[1].isdigit() or int(fields[1]) - 1 != label_of[entry.class_name]:
                        raise SplitListError(
                            f"{where}: label {fields[1]!r} disagrees with {CLASS_INDEX}, which gives "
                            f"{entry.class_name} the index {label_of[entry.class_name] + 1}"
                        )
                if membership.get(entry.video, subset) != subset:
                    raise SplitListError(f"{where}: {entry.video} is in both the train and the test list")
                membership[entry.video] = subset
        return membership


def find_videos(root: str | Path) -> dict[str, Path]:
    """video ('Class/v_…_gGG_cCC') → path of every .avi under ROOT/UCF-101/<Class>/."""
    videos_dir = Path(root) / VIDEO_DIR
    if not videos_dir.is_dir():
        raise MissingFileError(f"no video folder {videos_dir}: expected the extracted UCF-101/<Class>/*.avi")
    return {f"{p.parent.name}/{p.stem}": p for p in sorted(videos_dir.glob(f"*/*{VIDEO_SUFFIX}"))}

"""Type stubs of the native module (see ``slasim/__init__.py`` for the documented API)."""

from typing import Any, Dict, List, Optional, Tuple

__version__: str

def simulate(
    profile: Optional[str] = None,
    deployment: Any = None,
    workload: Optional[Dict[str, Any]] = None,
    sla: Optional[Dict[str, Any]] = None,
    calibration: Any = None,
    seed: Optional[int] = None,
    variability: Optional[str] = None,
    records: bool = False,
) -> Tuple[List[Dict[str, Any]], Optional[List[Dict[str, List[Any]]]]]: ...
def run(words: List[str]) -> Tuple[int, Any]: ...
def flags(what: str, group: str, mapping: Optional[Dict[str, Any]]) -> List[str]: ...
def load_profile(name_or_path: str) -> Profile: ...

class Profile:
    """A loaded performance profile."""

    @property
    def spec(self) -> str: ...
    def info(self) -> Dict[str, Any]: ...
    def query(
        self,
        isl: Optional[float] = None,
        kv_usage: Optional[float] = None,
        context: Optional[float] = None,
        tp: Optional[int] = None,
        role: Optional[str] = None,
    ) -> Dict[str, float]: ...

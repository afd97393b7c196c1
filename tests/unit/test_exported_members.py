"""The public API is what ``__all__`` lists, sorted, and every name in it exists."""

from __future__ import annotations

import crossfoot


def test_all_is_sorted_and_complete() -> None:
    import types

    assert crossfoot.__all__ == sorted(crossfoot.__all__)
    for name in crossfoot.__all__:
        assert hasattr(crossfoot, name), name
    public = {
        n
        for n, v in vars(crossfoot).items()
        if not n.startswith("_") and not isinstance(v, types.ModuleType) and n != "annotations"
    }
    assert public == set(crossfoot.__all__) - {"__version__"}


def test_errors_subclass_the_builtins_they_resemble() -> None:
    assert issubclass(crossfoot.ConfigError, ValueError)
    assert issubclass(crossfoot.InputError, ValueError)
    assert issubclass(crossfoot.AuthError, crossfoot.SourceError)
    assert {crossfoot.ConfigError.exit_code, crossfoot.InputError.exit_code} == {2}
    assert crossfoot.SourceError.exit_code == 3
    assert crossfoot.CrossfootError.exit_code == 1

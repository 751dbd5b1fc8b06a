"""The layering as a test: import-linter's contracts (pyproject.toml) must hold."""
import os
import subprocess
import sys


def test_import_contracts_hold():
    lint_imports = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    result = subprocess.run([lint_imports, "--no-cache"], capture_output=True, text=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout

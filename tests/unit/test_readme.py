"""The README's examples are run, so the docs cannot drift from the code."""
import os
import re
import shlex
import subprocess
import sys

from shared.config import load_config
from shared.links import Topology
from shared.node import Node, database_url

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def blocks(language):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        return re.findall(rf"```{language}\n(.*?)```", fh.read(), re.S)


def test_the_configuration_example_is_a_valid_node_config(tmp_path):
    [example] = [b for b in blocks("yaml") if "ELDERNET:" in b]
    path = tmp_path / "node.yaml"
    path.write_text(example, encoding="utf-8")
    config = load_config(str(path), environ={})
    node = Node.from_config(config)
    assert (node.id, node.tier.value, node.parent) == ("xinfu", "district", "fushun")
    assert database_url(config, "registry").startswith("postgresql+psycopg2://")
    assert config["ELDERNET"]["consumer"]["max_attempts"] == 5
    topology = Topology.from_config(config)
    assert topology.parent.amqp_uri.endswith("/eldernet-fushun") and topology.children[0].id == "xinfu-s03"


def test_the_node_init_example_writes_a_config_the_node_accepts(tmp_path):
    [command] = [line for b in blocks("sh") for line in _joined(b) if " node init " in line]
    args = shlex.split(command.split("#")[0])[1:]  # drop ".venv/bin/eldernet"
    args[args.index("-o") + 1] = str(tmp_path / "node.yaml")
    result = subprocess.run([sys.executable, "-m", "shared.cli", *args], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    Node.from_config(load_config(str(tmp_path / "node.yaml"), environ={}))


def _joined(block):
    return block.replace("\\\n", " ").splitlines()

"""Configs, presets and study files refuse YAML aliases, duplicate keys and absurd nesting (issue #27, 9 and 10)."""

import time

import pytest
import yaml

from synthetic_persona_chat.config import ConfigError, load_config, parse_override

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(7))


def test_a_billion_laughs_config_is_refused_at_once_naming_the_alias(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text("generation:\n  " + BOMB.replace("\n", "\n  ").rstrip() + "\n")
    start = time.process_time()
    with pytest.raises(ConfigError, match=r"bomb.yaml.*alias \*a is not allowed"):
        load_config(path)
    assert time.process_time() - start < 5  # before: 34 s and 3.2 GB building the value's repr


def test_duplicate_keys_are_refused_with_both_lines(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("generation:\n  iterations: 1\n  candidates: 2\n  iterations: 3\n")
    with pytest.raises(ConfigError, match=r"key 'iterations' appears twice \(first line 2\).*line 4"):
        load_config(path)


def test_an_override_with_an_alias_is_refused():
    with pytest.raises(ConfigError, match="alias"):
        parse_override("generation.stop=[&a x, *a]")


def test_nesting_deeper_than_a_config_needs_is_a_parse_error_not_a_recursion_crash():
    from synthetic_persona_chat.strict_yaml import MAX_DEPTH, load

    with pytest.raises(yaml.YAMLError, match=f"deeper than {MAX_DEPTH}"):
        load("[" * 5000 + "]" * 5000)


def test_plain_yaml_still_loads():
    from synthetic_persona_chat.strict_yaml import load

    assert load("a: 1\nb: [x, {c: 2}]\nd: {a: 1}\n") == {"a": 1, "b": ["x", {"c": 2}], "d": {"a": 1}}

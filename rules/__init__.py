"""Watch rules: loading and validating the YAML files people write, and matching articles against them."""

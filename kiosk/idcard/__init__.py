"""idcard."""

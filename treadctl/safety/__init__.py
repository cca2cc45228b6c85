"""The safety supervisor: the only path to the belt (caps, ramps, checks, decisions)."""

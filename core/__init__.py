"""What every layer shares: error codes, the clock and the settings; imports nothing above it."""

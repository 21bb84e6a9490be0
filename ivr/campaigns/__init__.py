"""Schedule-change calls: when an import moves a kloter, its pilgrims are called."""

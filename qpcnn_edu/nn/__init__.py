"""Neural-network layers and models: the QPC layer and its classical controls, QPCNN and its twins, blocks."""

"""Pictures and explorers for the book: static plots and ipywidgets explorers."""

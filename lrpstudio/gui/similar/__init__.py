"""The Similar cases tab: nearest training slices per layer, Deep k-NN credibility, interactive BiLRP."""

"""RNN Visualizer: run recurrent networks with TensorFlow and show every timestep."""

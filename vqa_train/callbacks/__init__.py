"""Lightning callbacks: images and plots people look at."""

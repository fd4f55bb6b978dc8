package main

import "os"

var _ = os.Getenv("ONLY_IN_TESTS")

package main

import (
	"os"

	"example.com/envscan/shared/settings"
)

func main() {
	_ = os.Getenv("TABLE_NAME")
	_ = settings.Load()
}

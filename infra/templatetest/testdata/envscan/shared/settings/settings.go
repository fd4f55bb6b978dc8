package settings

import "os"

const envRate = "SENDER_MAX_RATE"

func Load() string {
	v, _ := os.LookupEnv(envRate)
	return v + os.Getenv("AWS_REGION")
}

package wire

import (
	"strings"
	"testing"
)

func TestFromEnvNumbers(t *testing.T) {
	tests := []struct {
		env, in string
		wantErr bool
		get     func(Config) float64
		want    float64
	}{
		{EnvFatigueCapDays, "", false, func(c Config) float64 { return float64(c.FatigueCapDays) }, 0},
		{EnvFatigueCapDays, "7", false, func(c Config) float64 { return float64(c.FatigueCapDays) }, 7},
		{EnvFatigueCapDays, "14", false, func(c Config) float64 { return float64(c.FatigueCapDays) }, 14},
		{EnvFatigueCapDays, "0", true, nil, 0},
		{EnvFatigueCapDays, "-3", true, nil, 0},
		{EnvFatigueCapDays, "400", true, nil, 0},
		{EnvFatigueCapDays, "week", true, nil, 0},
		{EnvFatigueCapDays, "7.5", true, nil, 0},
		{EnvPlanHour, "", false, func(c Config) float64 { return float64(c.PlanHour) }, DefaultPlanHour},
		{EnvPlanHour, "0", false, func(c Config) float64 { return float64(c.PlanHour) }, 0},
		{EnvPlanHour, "23", false, func(c Config) float64 { return float64(c.PlanHour) }, 23},
		{EnvPlanHour, "24", true, nil, 0},
		{EnvPlanHour, "six", true, nil, 0},
		{EnvSenderMaxRate, "", false, func(c Config) float64 { return c.SenderMaxRate }, 0},
		{EnvSenderMaxRate, "14.5", false, func(c Config) float64 { return c.SenderMaxRate }, 14.5},
		{EnvSenderMaxRate, "0", true, nil, 0},
		{EnvSenderMaxRate, "-1", true, nil, 0},
		{EnvSenderMaxRate, "+Inf", true, nil, 0},
		{EnvSenderMaxRate, "NaN", true, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.in, func(t *testing.T) {
			t.Setenv(tt.env, tt.in)
			got, err := FromEnv()
			if (err != nil) != tt.wantErr {
				t.Fatalf("FromEnv() error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.env) {
					t.Errorf("error %q does not name %s", err, tt.env)
				}
				return
			}
			if v := tt.get(got); v != tt.want {
				t.Errorf("%s=%q: got %v, want %v", tt.env, tt.in, v, tt.want)
			}
		})
	}
}

func TestFromEnvText(t *testing.T) {
	t.Setenv(EnvWebhookSecret, "one, two")
	t.Setenv(EnvBaseURL, "https://loupe.example.com/")
	t.Setenv(EnvAllowedEmailDomains, " Chain.Example ,,test.example")
	t.Setenv(EnvUnsubscribeSecret, "short")
	_, err := FromEnv()
	if err == nil || !strings.Contains(err.Error(), EnvUnsubscribeSecret) {
		t.Fatalf("short unsubscribe secret: error %v, want one naming %s", err, EnvUnsubscribeSecret)
	}
	t.Setenv(EnvUnsubscribeSecret, "0123456789abcdef")
	got, err := FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.WebhookSecrets) != 2 || got.BaseURL != "https://loupe.example.com" ||
		!got.AllowedEmailDomains["chain.example"] || !got.AllowedEmailDomains["test.example"] || len(got.AllowedEmailDomains) != 2 {
		t.Errorf("FromEnv() = %+v", got)
	}
}

func TestRequire(t *testing.T) {
	cfg := Config{TableName: "t", UnsubscribeSecret: "0123456789abcdef"}
	if err := cfg.Require(EnvTableName, EnvUnsubscribeSecret); err != nil {
		t.Errorf("Require = %v, want nil", err)
	}
	err := cfg.Require(EnvTableName, EnvSendQueueURL, EnvSESConfigurationSet)
	if err == nil || !strings.Contains(err.Error(), EnvSendQueueURL+", "+EnvSESConfigurationSet) {
		t.Errorf("Require = %v, want both missing names", err)
	}
	if err := cfg.Require(EnvPlanHour); err == nil {
		t.Errorf("Require(%s) = nil, want an error: it has a default", EnvPlanHour)
	}
}

package wire

import (
	"slices"
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
		{EnvTasksPerDay, "", false, func(c Config) float64 { return float64(c.TasksPerDay) }, 0},
		{EnvTasksPerDay, "12", false, func(c Config) float64 { return float64(c.TasksPerDay) }, 12},
		{EnvTasksPerDay, "0", true, nil, 0},
		{EnvTasksPerDay, "101", true, nil, 0},
		{EnvMailOverCents, "", false, func(c Config) float64 { return float64(c.MailOverCents) }, 0},
		{EnvMailOverCents, "250000", false, func(c Config) float64 { return float64(c.MailOverCents) }, 250000},
		{EnvMailOverCents, "-5", true, nil, 0},
		{EnvMailOverCents, "0", true, nil, 0},
		{EnvMailOverCents, "10.50", true, nil, 0},
		{EnvChannels, "", false, func(c Config) float64 { return float64(len(c.Channels)) }, 0},
		{EnvChannels, "birthday=sms,email;christmas=mail,email", false, func(c Config) float64 { return float64(len(c.Channels)) }, 2},
		{EnvChannels, "birthday=voice", true, nil, 0},
		{EnvChannels, "birthday", true, nil, 0},
		{EnvSMSMPS, "", false, func(c Config) float64 { return c.SMSMessagesPerSecond }, 0},
		{EnvSMSMPS, "3", false, func(c Config) float64 { return c.SMSMessagesPerSecond }, 3},
		{EnvSMSMPS, "0", true, nil, 0},
		{EnvSMSTTL, "2h", false, func(c Config) float64 { return c.SMSTimeToLive.Hours() }, 2},
		{EnvSMSTTL, "1s", true, nil, 0},
		{EnvSMSTTL, "100h", true, nil, 0},
		{EnvSMSTTL, "soon", true, nil, 0},
		{EnvSMSManagedOptOuts, "true", false, func(c Config) float64 { return map[bool]float64{true: 1}[c.SMSManagedOptOuts] }, 1},
		{EnvSMSManagedOptOuts, "maybe", true, nil, 0},
		{EnvSMSStoreIdentities, "s-1=+12125550100, s-2=pool-abc", false, func(c Config) float64 { return float64(len(c.SMSStoreIdentities)) }, 2},
		{EnvSMSStoreIdentities, "s-1", true, nil, 0},
		{EnvSMSStoreIdentities, "s-1=a,s-1=b", true, nil, 0},
		{EnvSMSStoreIdentities, "=x", true, nil, 0},
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

func TestFromEnvValueOrSecretID(t *testing.T) {
	tests := []struct {
		name           string
		value, id      string // variable names
		valueV, idV    string
		wantErr        bool
		wantID, wantVl string
	}{
		{"webhook id only", EnvWebhookSecret, EnvWebhookSecretID, "", "loupe/prod/webhook-secret", false, "loupe/prod/webhook-secret", ""},
		{"webhook both", EnvWebhookSecret, EnvWebhookSecretID, "whsec", "loupe/prod/webhook-secret", true, "", ""},
		{"unsubscribe id only", EnvUnsubscribeSecret, EnvUnsubscribeSecretID, "", "loupe/prod/unsubscribe-secret", false, "loupe/prod/unsubscribe-secret", ""},
		{"unsubscribe both", EnvUnsubscribeSecret, EnvUnsubscribeSecretID, "0123456789abcdef", "loupe/prod/unsubscribe-secret", true, "", ""},
		{"unsubscribe value only", EnvUnsubscribeSecret, EnvUnsubscribeSecretID, "0123456789abcdef", "", false, "", "0123456789abcdef"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{EnvWebhookSecret, EnvWebhookSecretID, EnvUnsubscribeSecret, EnvUnsubscribeSecretID} {
				t.Setenv(k, "")
			}
			t.Setenv(tt.value, tt.valueV)
			t.Setenv(tt.id, tt.idV)
			got, err := FromEnv()
			if (err != nil) != tt.wantErr {
				t.Fatalf("FromEnv() error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tt.value) || !strings.Contains(err.Error(), tt.id) {
					t.Errorf("error %q does not name %s and %s", err, tt.value, tt.id)
				}
				if strings.Contains(err.Error(), tt.valueV) {
					t.Errorf("error %q holds the value", err)
				}
				return
			}
			if ids := got.WebhookSecretID + got.UnsubscribeSecretID; ids != tt.wantID {
				t.Errorf("secret ids %q, want %q", ids, tt.wantID)
			}
			if got.UnsubscribeSecret != tt.wantVl {
				t.Errorf("UnsubscribeSecret = %q, want %q", got.UnsubscribeSecret, tt.wantVl)
			}
		})
	}
}

func TestUseWebhookSecret(t *testing.T) {
	tests := []struct {
		name, current, previous string
		want                    []string
		wantErr                 bool
	}{
		{"never rotated", "new", "", []string{"new"}, false},
		{"rotated", "new", "old", []string{"new", "old"}, false},
		{"lists, current first, no repeats", "new, mid", "mid,old", []string{"new", "mid", "old"}, false},
		{"empty current", " , ", "whsec_prev", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{WebhookSecretID: "loupe/prod/webhook-secret"}
			err := cfg.UseWebhookSecret(tt.current, tt.previous)
			if (err != nil) != tt.wantErr {
				t.Fatalf("UseWebhookSecret error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), cfg.WebhookSecretID) || strings.Contains(err.Error(), tt.previous) {
					t.Errorf("error %q: want the secret id, no value", err)
				}
				return
			}
			if !slices.Equal(cfg.WebhookSecrets, tt.want) {
				t.Errorf("WebhookSecrets = %q, want %q", cfg.WebhookSecrets, tt.want)
			}
		})
	}
}

func TestUseUnsubscribeSecret(t *testing.T) {
	const cur, prev = "current_0123456789", "previous_0123456789"
	tests := []struct {
		name, current, previous string
		wantPrevious            []string
		wantErr                 bool
	}{
		{"never rotated", cur, "", nil, false},
		{"rotated", cur, prev, []string{prev}, false},
		{"previous equals current", cur, cur, nil, false},
		{"previous too short to have signed", cur, "short", nil, false},
		{"current too short", "short", prev, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{UnsubscribeSecretID: "loupe/prod/unsubscribe-secret"}
			err := cfg.UseUnsubscribeSecret(tt.current, tt.previous)
			if (err != nil) != tt.wantErr {
				t.Fatalf("UseUnsubscribeSecret error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), cfg.UnsubscribeSecretID) || strings.Contains(err.Error(), tt.previous) {
					t.Errorf("error %q: want the secret id, no value", err)
				}
				return
			}
			if cfg.UnsubscribeSecret != tt.current || !slices.Equal(cfg.UnsubscribePrevious, tt.wantPrevious) {
				t.Errorf("keys %q then %q, want %q then %q", cfg.UnsubscribeSecret, cfg.UnsubscribePrevious, tt.current, tt.wantPrevious)
			}
		})
	}
}

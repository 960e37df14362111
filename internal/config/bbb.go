package config

import (
	"fmt"
	"strings"
)

// BBB configures the BigBlueButton API (doc/bbb.md).
type BBB struct {
	// Enabled serves /bigbluebutton/api/ (default true).
	Enabled bool `yaml:"enabled"`
	// Secrets are the BBB shared secrets a checksum may be made with (any of them: rotation,
	// tenants); none: the API secret.
	Secrets []string `yaml:"secrets"`
	// ChecksumAlgorithms are the checksum algorithms accepted (default all four).
	ChecksumAlgorithms []string `yaml:"checksum_algorithms"`
}

func (b BBB) validate() error {
	for _, s := range b.Secrets {
		if len(s) < 8 {
			return fmt.Errorf("bbb.secrets: a secret must have at least 8 characters")
		}
	}
	for _, a := range b.ChecksumAlgorithms {
		switch strings.ToLower(a) {
		case "sha1", "sha256", "sha384", "sha512":
		default:
			return fmt.Errorf("bbb.checksum_algorithms: %q is not sha1, sha256, sha384 or sha512", a)
		}
	}
	return nil
}

package main

import (
	"fmt"
	"strconv"
	"strings"
)

// hostFlags are the command-line settings the engine gives a plugin it starts: optional
// logging flags (--logtostderr, -v=N), an optional --tracing endpoint and, always last, the
// engine's own gRPC address (plugin.buildPluginArguments + buildArgsForNewPlugin in sdk/v3).
type hostFlags struct {
	engineAddress string
	tracing       string
	runtime       string
	verbose       int
	logToStderr   bool
	logFlow       bool
	showVersion   bool
}

// valueFlags take a value, written either -name=value or as the following argument.
// -root <dir> (taken by older language hosts) is accepted and ignored.
var valueFlags = map[string]bool{"tracing": true, "runtime": true, "root": true, "v": true}

// parseFlags reads the plugin command line. Unlike the standard flag package it does not
// stop at flags it does not know, so an engine that passes a new flag still gets a working
// host: an unknown flag is skipped (taken as a boolean unless written -name=value). The
// engine address is the last positional argument, because the engine always puts it last.
func parseFlags(args []string) (hostFlags, error) {
	f := hostFlags{runtime: "nodejs"}
	var positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			positional = append(positional, arg)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if valueFlags[name] && !hasValue {
			if i+1 >= len(args) {
				return f, fmt.Errorf("flag %s needs a value: pass %s=<value>", arg, arg)
			}
			i++
			value, hasValue = args[i], true
		}
		if err := f.set(name, value, hasValue); err != nil {
			return f, err
		}
	}
	if len(positional) > 0 {
		f.engineAddress = positional[len(positional)-1]
	}
	return f, nil
}

// set stores one recognised flag; flags it does not recognise are ignored on purpose.
func (f *hostFlags) set(name, value string, hasValue bool) error {
	switch name {
	case "tracing":
		f.tracing = value
	case "runtime":
		f.runtime = value
	case "v":
		n, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("flag -v=%q: the verbosity must be a whole number such as -v=9", value)
		}
		f.verbose = n
	case "logtostderr", "logflow", "version":
		on := true
		if hasValue {
			b, err := strconv.ParseBool(value)
			if err != nil {
				return fmt.Errorf("flag -%s=%q: want true or false", name, value)
			}
			on = b
		}
		switch name {
		case "logtostderr":
			f.logToStderr = on
		case "logflow":
			f.logFlow = on
		default:
			f.showVersion = on
		}
	}
	return nil
}

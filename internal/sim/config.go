package sim

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/joule-ev/joule/internal/ocpp/ocpp16"
)

// keyDef is one configuration key the simulator knows (OCPP 1.6 §9.1, Core
// profile). Keys with live values (intervals, sampled data, connectors)
// are read from and written to the charger's state; the others are kept as
// strings.
type keyDef struct {
	name     string
	readonly bool
	value    string // initial value of a stored key
}

// keyDefs lists the known keys in the order GetConfiguration reports them.
// It is never modified.
var keyDefs = []keyDef{
	{"AllowOfflineTxForUnknownId", false, "false"},
	{"AuthorizationCacheEnabled", false, "false"},
	{"AuthorizeRemoteTxRequests", true, "false"},
	{"ClockAlignedDataInterval", false, "0"},
	{"ConnectionTimeOut", false, "60"},
	{"ConnectorPhaseRotation", false, "NotApplicable"},
	{"GetConfigurationMaxKeys", true, "50"},
	{"HeartbeatInterval", false, ""},
	{"LocalAuthListEnabled", false, "true"},
	{"LocalAuthListMaxLength", true, "1000"},
	{"LocalAuthorizeOffline", false, "false"},
	{"LocalPreAuthorize", false, "false"},
	{"MeterValuesAlignedData", false, "Energy.Active.Import.Register"},
	{"MeterValuesSampledData", false, ""},
	{"MeterValueSampleInterval", false, ""},
	{"NumberOfConnectors", true, ""},
	{"ResetRetries", false, "1"},
	{"SendLocalListMaxLength", true, "1000"},
	{"StopTransactionOnEVSideDisconnect", false, "true"},
	{"StopTransactionOnInvalidId", false, "true"},
	{"StopTxnAlignedData", false, ""},
	{"StopTxnSampledData", false, "Energy.Active.Import.Register"},
	{"SupportedFeatureProfiles", true, "Core,LocalAuthListManagement,RemoteTrigger"},
	{"TransactionMessageAttempts", true, strconv.Itoa(maxAttempts)},
	{"TransactionMessageRetryInterval", false, "1"},
	{"UnlockConnectorOnEVSideDisconnect", false, "true"},
	{"WebSocketPingInterval", false, "0"},
}

// live keys are backed by charger state rather than the key store.
const (
	keyHeartbeatInterval  = "HeartbeatInterval"
	keySampledData        = "MeterValuesSampledData"
	keySampleInterval     = "MeterValueSampleInterval"
	keyNumberOfConnectors = "NumberOfConnectors"
)

func defaultKeys() map[string]string {
	m := make(map[string]string, len(keyDefs))
	for _, k := range keyDefs {
		if k.value != "" || !isLive(k.name) {
			m[k.name] = k.value
		}
	}
	return m
}

func isLive(name string) bool {
	switch name {
	case keyHeartbeatInterval, keySampledData, keySampleInterval, keyNumberOfConnectors:
		return true
	}
	return false
}

// lookupKey finds a key; OCPP 1.6 keys are CiString50, compared
// case-insensitively.
func lookupKey(name string) (keyDef, bool) {
	i := slices.IndexFunc(keyDefs, func(k keyDef) bool { return strings.EqualFold(k.name, name) })
	if i < 0 {
		return keyDef{}, false
	}
	return keyDefs[i], true
}

// keyValue reads a key. Callers hold mu.
func (c *Charger) keyValue(k keyDef) string {
	switch k.name {
	case keyHeartbeatInterval:
		d := c.beatEvery
		if d == 0 {
			d = c.cfg.HeartbeatInterval
		}
		return seconds(d)
	case keySampleInterval:
		return seconds(c.meterEvery)
	case keySampledData:
		s := make([]string, len(c.sampled))
		for i, m := range c.sampled {
			s[i] = string(m)
		}
		return strings.Join(s, ",")
	case keyNumberOfConnectors:
		return strconv.Itoa(len(c.connectors) - 1)
	}
	return c.keys[k.name]
}

// seconds renders a duration in whole seconds, rounding a sub-second test
// interval up so that it does not read as 0 (disabled).
func seconds(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}

func (c *Charger) getConfiguration(r *ocpp16.GetConfigurationRequest) *ocpp16.GetConfigurationResponse {
	c.mu.Lock()
	defer c.mu.Unlock()
	resp := &ocpp16.GetConfigurationResponse{}
	add := func(k keyDef) {
		v := c.keyValue(k)
		resp.ConfigurationKey = append(resp.ConfigurationKey, ocpp16.ConfigurationKey{Key: k.name, Readonly: k.readonly, Value: &v})
	}
	if len(r.Key) == 0 {
		for _, k := range keyDefs {
			add(k)
		}
		return resp
	}
	for _, name := range r.Key {
		if k, ok := lookupKey(name); ok {
			add(k)
		} else {
			resp.UnknownKey = append(resp.UnknownKey, name)
		}
	}
	return resp
}

func (c *Charger) changeConfiguration(r *ocpp16.ChangeConfigurationRequest) *ocpp16.ChangeConfigurationResponse {
	status := c.setKey(r.Key, r.Value)
	c.log.Info("configuration change", "key", r.Key, "value", r.Value, "status", string(status))
	return &ocpp16.ChangeConfigurationResponse{Status: status}
}

// setKey applies ChangeConfiguration: unknown keys are NotSupported,
// read-only keys and bad values Rejected (OCPP 1.6 §5.3).
func (c *Charger) setKey(name, value string) ocpp16.ConfigurationStatus {
	k, ok := lookupKey(name)
	switch {
	case !ok:
		return ocpp16.ConfigurationStatusNotSupported
	case k.readonly:
		return ocpp16.ConfigurationStatusRejected
	}
	value = strings.TrimSpace(value)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch k.name {
	case keyHeartbeatInterval, keySampleInterval:
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 {
			return ocpp16.ConfigurationStatusRejected
		}
		d := time.Duration(n) * time.Second
		if k.name == keyHeartbeatInterval {
			c.beatEvery = d
			c.nextBeat = time.Now().Add(d)
			break
		}
		c.meterEvery = d
		c.nextSample = time.Time{}
		if d > 0 && slices.ContainsFunc(c.connectors, func(cn *connector) bool { return cn.tx != nil }) {
			c.nextSample = time.Now().Add(d)
		}
	case keySampledData:
		var ms []ocpp16.Measurand
		for _, f := range strings.Split(value, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			m := ocpp16.Measurand(f)
			if !slices.Contains(measurands, m) {
				return ocpp16.ConfigurationStatusRejected
			}
			ms = append(ms, m)
		}
		c.sampled = ms
	default:
		if !validValue(c.keys[k.name], value) {
			return ocpp16.ConfigurationStatusRejected
		}
		c.keys[k.name] = value
	}
	return ocpp16.ConfigurationStatusAccepted
}

// validValue checks a stored key's new value against the kind of its
// current one: booleans stay booleans, integers non-negative integers.
func validValue(old, value string) bool {
	if old == "true" || old == "false" {
		return value == "true" || value == "false"
	}
	if _, err := strconv.Atoi(old); err == nil {
		n, err := strconv.Atoi(value)
		return err == nil && n >= 0
	}
	return true
}

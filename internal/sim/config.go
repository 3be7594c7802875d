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
	name      string
	readonly  bool
	value     string // initial value of a stored key
	writeOnly bool   // a secret: GetConfiguration reports it without its value
}

// keyDefs lists the known keys in the order GetConfiguration reports them.
// It is never modified.
var keyDefs = []keyDef{
	{name: "AdditionalRootCertificateCheck", readonly: true, value: "false"},
	{name: "AllowOfflineTxForUnknownId", value: "false"},
	{name: "AuthorizationCacheEnabled", value: "false"},
	{name: "AuthorizationKey", writeOnly: true},
	{name: "AuthorizeRemoteTxRequests", readonly: true, value: "false"},
	{name: "CertificateStoreMaxLength", readonly: true, value: strconv.Itoa(maxInstalledCerts)},
	{name: "ClockAlignedDataInterval", value: "0"},
	{name: "ConnectionTimeOut", value: "60"},
	{name: "ConnectorPhaseRotation", value: "NotApplicable"},
	{name: "CpoName"},
	{name: "GetConfigurationMaxKeys", readonly: true, value: "50"},
	{name: "HeartbeatInterval"},
	{name: "LocalAuthListEnabled", value: "true"},
	{name: "LocalAuthListMaxLength", readonly: true, value: "1000"},
	{name: "LocalAuthorizeOffline", value: "false"},
	{name: "LocalPreAuthorize", value: "false"},
	{name: "MeterValuesAlignedData", value: "Energy.Active.Import.Register"},
	{name: "MeterValuesSampledData"},
	{name: "MeterValueSampleInterval"},
	{name: "NumberOfConnectors", readonly: true},
	{name: "ResetRetries", value: "1"},
	{name: "SecurityProfile"},
	{name: "SendLocalListMaxLength", readonly: true, value: "1000"},
	{name: "StopTransactionOnEVSideDisconnect", value: "true"},
	{name: "StopTransactionOnInvalidId", value: "true"},
	{name: "StopTxnAlignedData"},
	{name: "StopTxnSampledData", value: "Energy.Active.Import.Register"},
	{name: "SupportedFeatureProfiles", readonly: true, value: "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"},
	{name: "TransactionMessageAttempts", readonly: true, value: strconv.Itoa(maxAttempts)},
	{name: "TransactionMessageRetryInterval", value: "1"},
	{name: "UnlockConnectorOnEVSideDisconnect", value: "true"},
	{name: "WebSocketPingInterval", value: "0"},
}

// live keys are backed by charger state rather than the key store.
const (
	keyHeartbeatInterval  = "HeartbeatInterval"
	keySampledData        = "MeterValuesSampledData"
	keySampleInterval     = "MeterValueSampleInterval"
	keyNumberOfConnectors = "NumberOfConnectors"
	// Security whitepaper keys (§7), backed by the security state.
	keyAuthorizationKey = "AuthorizationKey"
	keySecurityProfile  = "SecurityProfile"
	keyCpoName          = "CpoName"

	keySupportedFeatureProfiles = "SupportedFeatureProfiles"
	// featureProfiles15 is what an OCPP 1.5 charger supports of 1.6's
	// profiles: 1.5 has no smart charging and no TriggerMessage.
	featureProfiles15 = "Core,FirmwareManagement,LocalAuthListManagement,Reservation"
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
	case keyHeartbeatInterval, keySampledData, keySampleInterval, keyNumberOfConnectors,
		keyAuthorizationKey, keySecurityProfile, keyCpoName:
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
	case keySecurityProfile:
		return strconv.Itoa(c.sec.profile)
	case keyCpoName:
		return c.sec.org
	case keyAuthorizationKey:
		return "" // write-only
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
		ck := ocpp16.ConfigurationKey{Key: k.name, Readonly: k.readonly}
		if !k.writeOnly {
			ck.Value = ptr(c.keyValue(k))
		}
		resp.ConfigurationKey = append(resp.ConfigurationKey, ck)
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
	value := r.Value
	if k, ok := lookupKey(r.Key); ok && k.writeOnly {
		value = "(secret)" // A01.FR.09: no passwords in logs
	}
	c.log.Info("configuration change", "key", r.Key, "value", value, "status", string(status))
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
	case keyAuthorizationKey:
		if !validAuthorizationKey(value) {
			return ocpp16.ConfigurationStatusRejected
		}
		c.setPassword(value, keyAuthorizationKey)
	case keySecurityProfile:
		return c.setSecurityProfile(value)
	case keyCpoName:
		if value == "" || len(value) > 64 {
			return ocpp16.ConfigurationStatusRejected
		}
		c.sec.org = value
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

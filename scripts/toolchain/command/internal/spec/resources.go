package spec

import "kubelab.local/toolchain/command/internal/sshconn"

// Tokens of the resource types this provider serves.
const (
	RemoteCommand = "command:remote:Command"
	LocalCommand  = "command:local:Command"
	CopyToRemote  = "command:remote:CopyToRemote"
	CopyFile      = "command:remote:CopyFile"
)

// LoggingValues are the values of the `logging` enum.
var LoggingValues = []string{"stdout", "stderr", "stdoutAndStderr", "none"}

func connectionBase(what string) []Field {
	return []Field{
		{Name: "host", Kind: String, Required: true, Doc: "The address of the " + what + " to connect to."},
		{Name: "port", Kind: Number, Default: 22, Doc: "The port to connect to. Defaults to 22."},
		{Name: "user", Kind: String, Default: "root", Doc: "The user to connect as. Defaults to root."},
		{Name: "password", Kind: String, Secret: true, Doc: "The password to use for the connection."},
		{Name: "privateKey", Kind: String, Secret: true, Doc: "The contents of an SSH private key."},
		{Name: "privateKeyPassword", Kind: String, Secret: true, Doc: "The passphrase of an encrypted privateKey."},
		{Name: "agentSocketPath", Kind: String, Doc: "SSH agent socket path. Defaults to SSH_AUTH_SOCK if set."},
		{Name: "dialErrorLimit", Kind: Integer, Default: 10, Min: intPtr(-1),
			Doc: "Failed dial attempts tolerated before giving up; -1 for unlimited. Defaults to 10."},
		{Name: "perDialTimeout", Kind: Integer, Default: 15, Min: intPtr(0),
			Doc: "Seconds each dial attempt may take; 0 for no limit. Defaults to 15."},
		{Name: "hostKey", Kind: String, Validate: sshconn.ValidateHostKey,
			Doc: "The expected host public key (authorized_keys format); another key is refused."},
	}
}

// Connection is the `connection` input of the remote resources.
var Connection = Field{
	Name: "connection", Kind: Object, Required: true, Secret: true, Ref: "command:remote:Connection",
	Doc: "The parameters with which to connect to the remote host.",
	Fields: append(connectionBase("remote host"), Field{
		Name: "proxy", Kind: Object, Ref: "command:remote:ProxyConnection", Fields: connectionBase("bastion host"),
		Doc: "The connection settings for the bastion/proxy host.",
	}),
}

var (
	triggers = Field{Name: "triggers", Kind: AnyList, Replace: true,
		Doc: "Values whose change replaces the resource (runs delete, then create)."}
	create = Field{Name: "create", Kind: String, Doc: "The command to run on creation (and on update if update is unset)."}
	update = Field{Name: "update", Kind: String, Doc: "The command to run when inputs change; defaults to create."}
	del    = Field{Name: "delete", Kind: String, Doc: "The command to run on deletion."}
	stdin  = Field{Name: "stdin", Kind: String, Doc: "A string passed to the command as standard input."}
	env    = Field{Name: "environment", Kind: StringMap, Doc: "Additional environment variables of the command."}
	addEnv = Field{Name: "addPreviousOutputInEnv", Kind: Bool,
		Doc: "Pass the previous stdout and stderr as PULUMI_COMMAND_STDOUT/STDERR. Defaults to true."}
	stdout = Field{Name: "stdout", Kind: String, Required: true, Doc: "The standard output of the command."}
	stderr = Field{Name: "stderr", Kind: String, Required: true, Doc: "The standard error of the command."}
)

func logging(ref string) Field {
	return Field{Name: "logging", Kind: Enum, Values: LoggingValues, Ref: ref,
		Doc: "Which output streams are logged while the command runs. Defaults to stdoutAndStderr."}
}

// localBase are the inputs of every local command.
var localBase = []Field{stdin, logging("command:local:Logging"),
	{Name: "interpreter", Kind: StringList, Doc: `The program and arguments that run the command. Defaults to ["/bin/sh", "-c"].`},
	{Name: "dir", Kind: String, Doc: "The directory the command runs in."},
	env,
	{Name: "assetPaths", Kind: StringList, Doc: "Path globs read as assets after the command completes."},
	{Name: "archivePaths", Kind: StringList, Doc: "Path globs returned as one archive after the command completes."},
	addEnv,
}

var localOutputs = []Field{stdout, stderr,
	{Name: "assets", Kind: AssetMap, Doc: "Assets found by assetPaths, by path relative to dir."},
	{Name: "archive", Kind: Archive, Doc: "An archive of the files found by archivePaths."},
}

// LocalRun is the command:local:run function: a local command run on every preview and update.
var LocalRun = Resource{
	Token:   "command:local:run",
	Doc:     "Runs a local command on every preview and deployment.",
	Inputs:  append([]Field{{Name: "command", Kind: String, Required: true, Doc: "The command to run."}}, localBase...),
	Outputs: localOutputs,
}

// Resources lists every resource type, in schema order.
var Resources = []Resource{
	{
		Token: RemoteCommand, Doc: "A command run on a remote host over SSH.",
		Inputs: []Field{Connection, triggers, create, update, del, stdin,
			logging("command:remote:Logging"), env, addEnv},
		Outputs: []Field{stdout, stderr},
	},
	{
		Token: LocalCommand, Doc: "A command run on the machine running Pulumi.",
		Inputs:  append([]Field{triggers, create, update, del}, localBase...),
		Outputs: localOutputs,
	},
	{
		Token: CopyToRemote, Doc: "Copies a local file, directory or text asset to a remote host over SFTP.",
		Inputs: []Field{Connection, triggers,
			{Name: "source", Kind: AssetOrArchive, Required: true, Doc: "A FileAsset, StringAsset or FileArchive to copy."},
			{Name: "remotePath", Kind: String, Required: true, Doc: "The destination path on the remote host."}},
	},
	{
		Token: CopyFile, Doc: "Deprecated: copies a local file to a remote host; use CopyToRemote.",
		Inputs: []Field{Connection, triggers,
			{Name: "localPath", Kind: String, Required: true, Doc: "The path of the file to copy."},
			{Name: "remotePath", Kind: String, Required: true, Doc: "The destination path on the remote host."}},
	},
}

// Lookup returns the resource type with the given token.
func Lookup(token string) (Resource, bool) {
	for _, r := range Resources {
		if r.Token == token {
			return r, true
		}
	}
	return Resource{}, false
}

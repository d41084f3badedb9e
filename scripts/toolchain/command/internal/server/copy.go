package server

import (
	"context"
	"fmt"
	"os"

	"github.com/pkg/sftp"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"kubelab.local/toolchain/command/internal/props"
	"kubelab.local/toolchain/command/internal/spec"
	"kubelab.local/toolchain/command/internal/sshconn"
)

// createCopy copies the source (CopyToRemote) or localPath (CopyFile) to remotePath over SFTP.
// Its outputs are its inputs.
func createCopy(ctx context.Context, l logger, token string, inputs resource.PropertyMap, preview bool,
) (resource.PropertyMap, error) {
	if preview {
		return inputs, nil
	}
	if err := runCopy(ctx, l, token, inputs); err != nil {
		return nil, err
	}
	return inputs, nil
}

// updateCopy copies again only when the source's content or the remote path changed.
func updateCopy(ctx context.Context, l logger, token string, state, news resource.PropertyMap, preview bool,
) (resource.PropertyMap, error) {
	if preview {
		return news, nil
	}
	oldPlain, newPlain := props.Plain(state), props.Plain(news)
	if sourceHash(oldPlain) != sourceHash(newPlain) ||
		props.StrOr(oldPlain, "remotePath", "") != props.StrOr(newPlain, "remotePath", "") {
		if err := runCopy(ctx, l, token, news); err != nil {
			return nil, err
		}
	}
	return news, nil
}

func sourceHash(m resource.PropertyMap) string {
	switch v := m["source"]; {
	case v.IsAsset():
		return v.AssetValue().Hash
	case v.IsArchive():
		return v.ArchiveValue().Hash
	}
	return ""
}

func runCopy(ctx context.Context, l logger, token string, inputs resource.PropertyMap) error {
	in := props.Plain(inputs)
	remotePath := props.StrOr(in, "remotePath", "")
	client, err := sshconn.Dial(ctx, sshconn.FromProps(props.Object(in, "connection")), l.status)
	if err != nil {
		return err
	}
	defer func() { _ = client.Close() }()
	sc, err := sftp.NewClient(client, sftp.UseConcurrentWrites(true))
	if err != nil {
		return fmt.Errorf("starting SFTP (the server needs its sftp subsystem): %w", err)
	}
	defer func() { _ = sc.Close() }()
	stop := context.AfterFunc(ctx, func() { _ = client.Close() })
	defer stop()

	if token == spec.CopyFile {
		return copyFile(sc, props.StrOr(in, "localPath", ""), remotePath)
	}
	source := in["source"]
	if source.IsAsset() && source.AssetValue().IsText() {
		return copyText(sc, source.AssetValue().Text, remotePath)
	}
	path := ""
	if source.IsAsset() {
		path = source.AssetValue().Path
	} else if source.IsArchive() {
		path = source.ArchiveValue().Path
	}
	return copyPath(sc, path, remotePath)
}

func copyText(sc *sftp.Client, text, dest string) error {
	info, err := remoteStat(sc, dest)
	if err != nil {
		return err
	}
	if info != nil && info.IsDir() {
		return fmt.Errorf("remotePath %s is a directory; a text asset needs a file path", dest)
	}
	if err := mkdirParent(sc, dest); err != nil {
		return err
	}
	f, err := sc.Create(dest)
	if err != nil {
		return fmt.Errorf("creating remote file %s: %w", dest, err)
	}
	_, err = f.Write([]byte(text))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing remote file %s: %w", dest, err)
	}
	return nil
}

func copyFile(sc *sftp.Client, src, dest string) error {
	local, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = local.Close() }()
	remote, err := sc.Create(dest)
	if err != nil {
		return fmt.Errorf("creating remote file %s: %w", dest, err)
	}
	_, err = remote.ReadFrom(local)
	if cerr := remote.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copying %s to remote path %s: %w", src, dest, err)
	}
	return nil
}

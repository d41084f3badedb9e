package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pkg/sftp"
)

// copyPath copies a local file or directory to dest, with CopyToRemote's rules: into dest when
// dest is an existing directory; a directory "src" lands at dest/src, while "src/" copies its
// contents into dest; missing parent directories are created.
func copyPath(sc *sftp.Client, src, dest string) error {
	info, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	destInfo, err := remoteStat(sc, dest)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		if destInfo != nil && destInfo.IsDir() {
			dest = path.Join(dest, filepath.Base(src))
		} else if err := mkdirParent(sc, dest); err != nil {
			return err
		}
		return copyFile(sc, src, dest)
	}
	if destInfo == nil {
		if err := sc.MkdirAll(dest); err != nil {
			return fmt.Errorf("creating remote directory %s: %w", dest, err)
		}
	}
	if !strings.HasSuffix(src, "/") {
		dest = path.Join(dest, filepath.Base(src))
	}
	return copyDir(sc, src, dest)
}

func copyDir(sc *sftp.Client, src, dest string) error {
	return fs.WalkDir(os.DirFS(src), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := path.Join(dest, p)
		if !d.IsDir() {
			return copyFile(sc, filepath.Join(src, p), target)
		}
		info, err := remoteStat(sc, target)
		switch {
		case err != nil:
			return err
		case info == nil:
			if err := sc.Mkdir(target); err != nil {
				return fmt.Errorf("creating remote directory %s: %w", target, err)
			}
		case !info.IsDir():
			return fmt.Errorf("remote path %s exists but is not a directory", target)
		}
		return nil
	})
}

// remoteStat returns the remote path's info, or nil when it does not exist.
func remoteStat(sc *sftp.Client, p string) (fs.FileInfo, error) {
	info, err := sc.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checking remote path %s: %w", p, err)
	}
	return info, nil
}

func mkdirParent(sc *sftp.Client, p string) error {
	if err := sc.MkdirAll(path.Dir(p)); err != nil {
		return fmt.Errorf("creating the parent directories of %s: %w", p, err)
	}
	return nil
}

package nnc

import "github.com/nnclang/nnc/internal/safefile"

// WriteFile writes data to path safely, as every file nnc writes is written:
// through a fresh temporary file created exclusively in path's directory,
// synced, then renamed over path, and the directory synced. A reader sees the
// old file or the new one, never a part. A path that exists and is not a
// regular file (a symbolic link, a directory, a device such as /dev/null, a
// pipe) is refused with an error, so nothing is written through a link. On
// any error path is left as it was and the temporary file is removed. A new
// file gets mode 0644; an existing file keeps its mode.
func WriteFile(path string, data []byte) error {
	return safefile.WriteBytes(path, data, 0o644)
}

// CheckOutput returns an error when path could not be written now (as
// WriteFile would refuse or fail to write it): it exists and is not a
// regular file, or no file can be created in its directory. It creates and
// removes an empty temporary file there. Train checks its Output this way
// before it starts; a program that writes a file after long work can too.
func CheckOutput(path string) error { return safefile.CheckWritable(path) }

// RemoveTempFiles removes the temporary files of writes still in progress
// (WriteFile, SaveParams, WriteTensors, the data savers) and returns how many
// it removed. A SIGINT or SIGTERM handler calls it before exiting so that an
// interrupted write leaves nothing behind; the interrupted write then fails.
func RemoveTempFiles() int { return safefile.RemoveTemps() }

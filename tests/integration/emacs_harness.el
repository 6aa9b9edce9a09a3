;;; The harness around the README's Emacs recipes (emacs_test.sh loads a recipe after
;;; this file): Emacs in batch mode with Debian's elpa-eglot, and one test function per
;;; recipe that opens a C file, waits for flymake's diagnostics and writes them to
;;; $CALM_EMACS_OUT.
(setq make-backup-files nil create-lockfiles nil)
(package-initialize)
(require 'flymake)
;; cc-mode's own backends (gcc through a Makefile, the legacy one) have nothing to
;; run on here; calm-lint's are the ones under test.
(remove-hook 'flymake-diagnostic-functions #'flymake-proc-legacy-flymake)
(add-hook 'c-mode-hook (lambda () (remove-hook 'flymake-diagnostic-functions #'flymake-cc t)) 90)

(defun calm-wait (pred seconds)
  (let ((end (+ (float-time) seconds)))
    (while (and (not (funcall pred)) (< (float-time) end))
      (accept-process-output nil 0.1))
    (funcall pred)))

(defun calm-dump (label)
  (let ((lines nil) (diags (flymake-diagnostics)))
    (dolist (d diags)
      (save-excursion
        (goto-char (flymake-diagnostic-beg d))
        (push (format "%s %d:%d %s %s" label (line-number-at-pos) (1+ (current-column))
                      (flymake-diagnostic-type d) (flymake-diagnostic-text d))
              lines)))
    (push (format "%s count=%d" label (length diags)) lines)
    (with-temp-file (getenv "CALM_EMACS_OUT")
      (insert (mapconcat #'identity (nreverse lines) "\n") "\n"))))

(defun calm-flymake-test (file)
  (find-file file) ; c-mode: the recipe's hook turns flymake on
  (flymake-start)
  (calm-wait #'flymake-diagnostics 60)
  (calm-dump "flymake"))

(defun calm-eglot-test (file)
  (require 'eglot)
  (find-file file)
  (apply #'eglot (eglot--guess-contact))
  (calm-wait (lambda () (eglot-current-server)) 30)
  (flymake-start)
  (calm-wait #'flymake-diagnostics 60)
  (calm-dump "eglot")
  (ignore-errors (eglot-shutdown (eglot-current-server))))

# bin/burrow-edge and bin/burrow-exit.

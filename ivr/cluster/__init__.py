"""The cluster: the pieces that put several hotline nodes behind one SIP address."""
